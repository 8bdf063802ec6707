/**
 * What a promote backup file is: SQL that restores one database (it runs with
 * `wrangler d1 execute --file`), headed by SQL comments. The first names it:
 *
 *   -- promote-backup: {"format":1,"environment":"production","binding":"DB",...}
 *
 * one line of JSON with what the database was when the dump was read: its
 * schema fingerprint (the objects and their digest) and every table's row count.
 * `promote backup verify` restores the SQL elsewhere and compares with these.
 * Pure: no I/O.
 */
import { fingerprintDigest, type ObjectShape, type SchemaFingerprint } from '../schema/fingerprint.js';

export const BACKUP_MARK = '-- promote-backup: ';
export const BACKUP_FORMAT = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  environment: string;
  binding: string;
  /** The D1 database id (cloudflare) or the local database's id. */
  database: string;
  /** The run that took it (a promotion's run id, or the id of `promote backup`). */
  runId: string;
  /** ISO time the dump was read. */
  takenAt: string;
  /** local: promote's own dump through the D1 connection; d1-export: Cloudflare's export API. */
  source: 'local-dump' | 'd1-export';
  /** fingerprintDigest of `schema`. */
  fingerprint: string;
  /** The schema fingerprint's objects (ledger tables included), so verify can name what differs. */
  schema: ObjectShape[];
  /** Rows per table when the dump was read (d1-export: read right after the export; see README). */
  rows: Record<string, number>;
}

/** The header lines of a backup, warning text included (whoever finds the file learns what it holds). */
export function renderBackupHeader(h: BackupHeader): string {
  return [
    `${BACKUP_MARK}${JSON.stringify(h)}`,
    `-- PRODUCTION DATA: a full copy of D1 database ${h.database} (binding ${h.binding}, environment ${h.environment}),`,
    `-- taken by promote (run ${h.runId}) at ${h.takenAt}. Check it with: promote backup verify <this file>`,
    '-- It holds every row of that database. Keep it private (promote writes it readable by its owner only),',
    '-- never commit or attach it anywhere, and delete it once it is no longer needed.',
    '',
  ].join('\n');
}

/** `firstLine`: the file's line where `sql` starts (1-based), for messages about a statement. */
export type ParsedBackup = { ok: true; header: BackupHeader; sql: string; firstLine: number } | { ok: false; what: string };

/** The header and the SQL after it; or, for a file that is not a promote backup, what it looks like instead. */
export function parseBackup(text: string): ParsedBackup {
  if (text.length === 0) return { ok: false, what: 'the file is empty' };
  if (text.includes('\u0000')) return { ok: false, what: 'the file is binary, not SQL text (a SQLite database file? promote backups are SQL dumps)' };
  const lines = text.split('\n');
  let at = 0;
  // The mark is on the first line; blank lines or other comments before it are tolerated.
  while (at < lines.length && (lines[at]!.trim() === '' || (lines[at]!.startsWith('--') && !lines[at]!.startsWith(BACKUP_MARK)))) at++;
  const line = lines[at];
  if (line === undefined || !line.startsWith(BACKUP_MARK)) {
    const sqlLike = /\b(CREATE|INSERT|PRAGMA)\b/i.test(text.slice(0, 20_000));
    return {
      ok: false,
      what: sqlLike
        ? 'it is SQL without a promote-backup header (a `wrangler d1 export` or sqlite3 .dump?), so there are no counts to check it against'
        : 'it is neither SQL nor a promote backup',
    };
  }
  let header: BackupHeader;
  try {
    header = JSON.parse(line.slice(BACKUP_MARK.length)) as BackupHeader;
  } catch {
    return { ok: false, what: `its promote-backup header (line ${at + 1}) is not valid JSON: the file was cut or edited` };
  }
  const problem = headerProblem(header);
  if (problem) return { ok: false, what: `its promote-backup header (line ${at + 1}) ${problem}` };
  if (fingerprintDigest({ objects: header.schema }) !== header.fingerprint) {
    return { ok: false, what: `its promote-backup header (line ${at + 1}) does not match its own fingerprint: the header was edited` };
  }
  return { ok: true, header, sql: lines.slice(at + 1).join('\n'), firstLine: at + 2 };
}

function headerProblem(h: unknown): string | undefined {
  if (typeof h !== 'object' || h === null) return 'is not an object';
  const r = h as Record<string, unknown>;
  if (r.format !== BACKUP_FORMAT) return `has format ${String(r.format)}; this promote reads format ${BACKUP_FORMAT} (a newer promote wrote it?)`;
  for (const key of ['environment', 'binding', 'database', 'runId', 'takenAt', 'fingerprint'] as const) {
    if (typeof r[key] !== 'string') return `has no ${key}`;
  }
  if (!Array.isArray(r.schema)) return 'has no schema';
  if (typeof r.rows !== 'object' || r.rows === null || Object.values(r.rows).some((n) => typeof n !== 'number')) return 'has no row counts';
  return undefined;
}

/** What a database holds for the comparison: its fingerprint and every table's row count. */
export interface DatabaseCensus {
  fingerprint: SchemaFingerprint;
  rows: Record<string, number>;
}

/**
 * Every way `restored` differs from `reference`, one line each, named by table:
 *   table notes: 41 rows in the dump, 42 in the source
 *   table notes: in the source, not in the dump
 */
export function compareCensus(restored: DatabaseCensus, reference: DatabaseCensus, referenceName: string): string[] {
  const out: string[] = [];
  const label = (o: ObjectShape) => `${o.type} ${o.name}`;
  const restoredBy = new Map(restored.fingerprint.objects.map((o) => [label(o), o]));
  const referenceBy = new Map(reference.fingerprint.objects.map((o) => [label(o), o]));
  for (const [name, o] of referenceBy) {
    const r = restoredBy.get(name);
    const rows = o.type === 'table' && reference.rows[o.name] !== undefined ? ` (${reference.rows[o.name]} row(s) there)` : '';
    if (!r) out.push(`${name}: in the ${referenceName}${rows}, not in the dump`);
    else if (JSON.stringify(r) !== JSON.stringify(o)) out.push(`${name}: its definition in the dump differs from the ${referenceName}'s`);
  }
  for (const name of restoredBy.keys()) if (!referenceBy.has(name)) out.push(`${name}: in the dump, not in the ${referenceName}`);
  const tables = [...new Set([...Object.keys(reference.rows), ...Object.keys(restored.rows)])].sort();
  for (const t of tables) {
    const want = reference.rows[t];
    const got = restored.rows[t];
    // A table missing on one side is named above (schema); its rows are said here only when both have it.
    if (want === undefined || got === undefined) {
      if (!restoredBy.has(`table ${t}`) || !referenceBy.has(`table ${t}`)) continue;
    }
    if (want !== got) out.push(`table ${t}: ${got ?? 0} row(s) in the dump, ${want ?? 0} in the ${referenceName}`);
  }
  return out;
}
