/**
 * A backup is proven by restoring it: its SQL runs on a scratch database (one
 * transaction, split the way SQLite splits it), and what that database then
 * holds (fingerprint, rows per table) is compared with the source database when
 * the source still has the schema the dump recorded, else with the header's
 * numbers from the time of the dump.
 */
import { D1QueryError } from '../errors.js';
import type { D1Connection, ScratchDatabase } from '../d1/connection.js';
import { quoteIdent } from '../d1/quote-ident.js';
import { splitStatements } from '../migrations/split-statements.js';
import type { Statement } from '../migrations/types.js';
import { fingerprintDigest } from '../schema/fingerprint.js';
import { compareCensus, type BackupHeader, type DatabaseCensus } from './backup-file.js';
import { readCensus } from './dump.js';

export interface BackupVerdict {
  header: BackupHeader;
  /** source: the live database (same schema as the dump); header: the counts recorded at dump time. */
  comparedWith: 'source' | 'header';
  /** One line per difference, each naming its table; empty when the backup restores to what it should. */
  problems: string[];
  statements: number;
  restored?: DatabaseCensus;
}

/**
 * Runs the dump as one transaction. When it commits only without its rows that
 * point at missing ones (foreign keys: a parent row was cut from the dump), it
 * runs again, noting and dropping those rows, so the counts can still name
 * every table that lost rows.
 */
async function restore(scratch: ScratchDatabase, statements: readonly Statement[], header: BackupHeader, orphans: string[], signal?: AbortSignal): Promise<void> {
  const options = signal ? { signal } : {};
  const sql = statements.map((s) => ({ sql: s.sql }));
  try {
    if (sql.length > 0) await scratch.batch(sql, options);
    return;
  } catch (e) {
    if (!(e instanceof D1QueryError) || !/FOREIGN KEY/i.test(e.message)) throw e;
  }
  // The tables whose rows can point elsewhere (WITHOUT ROWID ones cannot be pruned by rowid: their failure stands).
  const tables = header.schema
    .filter((o) => o.type === 'table' && !o.virtual && o.foreignKeys.length > 0 && !o.options.some((x) => /without\s+rowid/i.test(x)))
    .map((o) => o.name);
  await scratch.reset([]);
  const results = await scratch.batch(
    [
      ...sql,
      { sql: 'SELECT "table" AS child, parent, count(*) AS n FROM pragma_foreign_key_check GROUP BY 1, 2 ORDER BY 1, 2' },
      ...tables.map((t) => ({ sql: `DELETE FROM ${quoteIdent(t)} WHERE rowid IN (SELECT rowid FROM pragma_foreign_key_check(${quoteLiteral(t)}))` })),
    ],
    options,
  );
  for (const r of results[sql.length]?.results ?? []) orphans.push(`table ${String(r.child).toLowerCase()}: ${Number(r.n)} row(s) in the dump refer to rows of ${String(r.parent).toLowerCase()} that are not in it`);
}

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function verifyBackup(
  backup: { header: BackupHeader; sql: string; firstLine: number },
  scratch: ScratchDatabase,
  source?: D1Connection,
  signal?: AbortSignal,
): Promise<BackupVerdict> {
  const { header } = backup;
  const statements = splitStatements(backup.sql).filter((s) => s.sql.trim() !== '');
  const live = source ? await readCensus(source, signal) : undefined;
  const useSource = live !== undefined && fingerprintDigest(live.fingerprint) === header.fingerprint;
  const base = { header, comparedWith: useSource ? ('source' as const) : ('header' as const), statements: statements.length };
  await scratch.reset([]);
  try {
    const orphans: string[] = [];
    try {
      await restore(scratch, statements, header, orphans, signal);
    } catch (e) {
      if (!(e instanceof D1QueryError)) throw e;
      const at = e.statementIndex !== undefined ? statements[e.statementIndex] : undefined;
      const where = at ? ` at line ${backup.firstLine + at.line - 1}` : '';
      return { ...base, problems: [`the dump does not restore: a statement${where} failed: ${e.message}`] };
    }
    const restored = await readCensus(scratch, signal);
    const reference: DatabaseCensus = useSource ? live : { fingerprint: { objects: header.schema }, rows: header.rows };
    return { ...base, restored, problems: [...orphans, ...compareCensus(restored, reference, useSource ? 'source' : 'header')] };
  } finally {
    // The scratch database held every row of the backup: emptied again, whatever happened.
    await scratch.reset([]).catch(() => undefined);
  }
}
