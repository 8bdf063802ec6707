/**
 * Baseline: which migrations a database that was built without (or beyond)
 * promote's ledger already has, proven from its schema. The migrations are
 * replayed ONCE on a scratch database, one by one, fingerprinting after each,
 * so every prefix's schema is known after n applies however many prefixes
 * are candidates. Recording is one batch (one D1 transaction): the ledger rows
 * wrangler reads and our metadata rows marked baseline. Nothing here changes
 * schema or data of the database being adopted.
 */
import { D1QueryError } from '../errors.js';
import type { Migration } from '../migrations/types.js';
import { fingerprintDigest, fingerprintSchema, type SchemaFingerprint, type SchemaRows } from '../schema/fingerprint.js';
import { diffSchemas, type SchemaDifference } from '../schema/schema-diff.js';
import type { ScratchDatabase, SqlStatement } from '../d1/connection.js';
import { migrationBody, multiRowInsert } from './apply.js';
import { claimOf, type ForeignLedger } from './foreign-ledgers.js';
import { ADOPTED, CREATE_META_SQL, META_TABLE, createLedgerSql, quoteIdent, type DatabaseState } from './ledger.js';
import { bookkeepingTables, readSchemaRows, SCHEMA_READ, schemaRowsFrom } from './schema-read.js';

export interface Replay {
  /** prints[k]: the schema after the first k migrations (prints[0]: empty). */
  prints: SchemaFingerprint[];
  digests: string[];
  /** rows[k]: what the schema read returned after the first k migrations (each object's SQL, for drafting a rollback). */
  rows: SchemaRows[];
  /** The migration the scratch database rejected; the prefixes stop before it. */
  failed?: { migration: Migration; message: string };
}

export async function replayPrefixes(scratch: ScratchDatabase, migrations: readonly Migration[], exclude: readonly string[]): Promise<Replay> {
  await scratch.reset([]);
  const opts = { exclude: bookkeepingTables(exclude) };
  const rows = [await readSchemaRows(scratch)];
  const prints = [fingerprintSchema(rows[0]!, opts)];
  for (const m of migrations) {
    try {
      // The migration and the schema read after it in one round trip (the read sees the batch's own writes).
      rows.push(schemaRowsFrom(await scratch.batch([...migrationBody(m), ...SCHEMA_READ])));
      prints.push(fingerprintSchema(rows.at(-1)!, opts));
    } catch (e) {
      if (!(e instanceof D1QueryError)) throw e;
      return { prints, digests: prints.map(fingerprintDigest), rows, failed: { migration: m, message: e.message } };
    }
  }
  return { prints, digests: prints.map(fingerprintDigest), rows };
}

/** What the ledgers already say: our rows, and other tools' claims (each must name a prefix of the files). */
export interface Claims {
  /** Migrations in our ledger: the first `recorded` files. */
  recorded: number;
  /** Prefix length the other tools' ledgers claim (0 when there are none). */
  foreign: number;
  foreignLedgers: ForeignLedger[];
  /** Claims that cannot be true of these files: a row naming no file, or a gap. */
  problems: string[];
}

export function readClaims(migrations: readonly Migration[], state: Pick<DatabaseState, 'ledger' | 'foreign'>): Claims {
  const problems: string[] = [];
  const ours = new Set(state.ledger.map((r) => r.name));
  const recorded = migrations.findIndex((m) => !ours.has(m.name));
  let foreign = 0;
  for (const ledger of state.foreign) {
    const claim = claimOf(ledger, migrations);
    for (const e of claim.unknown) problems.push(`${ledger.table} (${ledger.tool}) lists ${e.label}, which no migration file matches`);
    const gap = migrations.slice(0, claim.claimed.length).find((m) => !claim.claimed.includes(m));
    if (gap) problems.push(`${ledger.table} (${ledger.tool}) lists ${claim.claimed.at(-1)!.name} but not ${gap.name}: its claims are not a prefix of the files`);
    foreign = Math.max(foreign, claim.claimed.length);
  }
  return { recorded: recorded < 0 ? migrations.length : recorded, foreign, foreignLedgers: state.foreign, problems };
}

export type BaselineDecision =
  | { ok: true; through: number; mode: 'search' | 'claimed' | 'through'; unprovable: Migration[] }
  | { ok: false; mode: 'search' | 'claimed' | 'through'; closest: number; differences: SchemaDifference[]; replayFailed?: Replay['failed'] };

/**
 * Pure: which prefix the live schema proves. `through` (a prefix length)
 * checks exactly that one; a foreign claim is checked exactly too (it must be
 * proven, not bettered); otherwise the longest prefix at or past what our
 * ledger records. A mismatch names the closest prefix (fewest differences,
 * the longer on a tie).
 */
export function decideBaseline(replay: Replay, live: SchemaFingerprint, migrations: readonly Migration[], claims: Claims, through?: number): BaselineDecision {
  const liveDigest = fingerprintDigest(live);
  const minimum = Math.max(claims.recorded, claims.foreign);
  const mode = through !== undefined ? 'through' : claims.foreign > claims.recorded ? 'claimed' : 'search';
  const candidates = mode === 'search' ? replay.digests.map((_, k) => k).filter((k) => k >= minimum) : [through ?? minimum];
  const reachable = candidates.filter((k) => k < replay.digests.length);
  const match = [...reachable].reverse().find((k) => replay.digests[k] === liveDigest);
  if (match !== undefined) {
    // Migrations that leave the schema as it was (data only) cannot be told applied or not from the schema.
    const unprovable = mode === 'search' ? migrations.slice(0, match).filter((_, i) => i + 1 > minimum && replay.digests[i + 1] === replay.digests[i]) : [];
    return { ok: true, through: match, mode, unprovable };
  }
  const scored = (reachable.length > 0 ? reachable : [replay.digests.length - 1]).map((k) => ({ k, differences: diffSchemas(replay.prints[k]!, live) }));
  const best = scored.reduce((a, b) => (b.differences.length <= a.differences.length ? b : a));
  return { ok: false, mode, closest: best.k, differences: best.differences, ...(replay.failed ? { replayFailed: replay.failed } : {}) };
}

export interface BaselineRecord {
  /** Migrations the ledger gains rows for. */
  ledger: Migration[];
  /** Migrations our metadata gains (baseline) rows for, including ones wrangler had recorded. */
  meta: Migration[];
}

export function baselineRecord(migrations: readonly Migration[], through: number, state: Pick<DatabaseState, 'ledger' | 'meta'>): BaselineRecord {
  const prefix = migrations.slice(0, through);
  const inLedger = new Set(state.ledger.map((r) => r.name));
  return { ledger: prefix.filter((m) => !inLedger.has(m.name)), meta: prefix.filter((m) => !state.meta.has(m.name)) };
}

/**
 * One batch. Plain INSERTs into the ledger: if a concurrent run recorded one
 * of these names meanwhile, UNIQUE fails the whole batch and nothing is recorded.
 */
export function baselineStatements(record: BaselineRecord, ledgerTable: string, runId: string, appliedAt: (m: Migration) => string | undefined): SqlStatement[] {
  if (record.ledger.length === 0 && record.meta.length === 0) return [];
  const now = new Date().toISOString();
  return [
    { sql: createLedgerSql(ledgerTable) },
    { sql: CREATE_META_SQL },
    ...(record.ledger.length > 0 ? multiRowInsert(`INSERT INTO ${quoteIdent(ledgerTable)} (name)`, record.ledger.map((m) => [m.name]), '(?)') : []),
    ...(record.meta.length > 0
      ? multiRowInsert(
          `INSERT OR IGNORE INTO ${META_TABLE} (name, checksum, run_id, applied_at, adopted)`,
          record.meta.map((m) => [m.name, m.checksum, runId, appliedAt(m) ?? now, ADOPTED.baseline]),
          '(?, ?, ?, ?, ?)',
        )
      : []),
  ];
}

/** When another tool's row says a migration was applied: its time, for our metadata. */
export function foreignAppliedAt(migrations: readonly Migration[], foreign: readonly ForeignLedger[]): (m: Migration) => string | undefined {
  const at = new Map<string, string>();
  for (const ledger of foreign) {
    const claim = claimOf(ledger, migrations);
    for (const e of ledger.entries) {
      const m = claim.claimed.find((x) => claimOf({ ...ledger, entries: [e] }, [x]).claimed.length === 1);
      if (m && e.appliedAt && !at.has(m.name)) at.set(m.name, e.appliedAt);
    }
  }
  return (m) => at.get(m.name);
}
