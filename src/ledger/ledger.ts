/**
 * The migration ledger: wrangler's own `d1_migrations` table, created exactly as
 * wrangler creates it so both tools read each other's history, plus our
 * metadata beside it in `promote_migrations` (checksum, duration, run id).
 */
import type { D1Connection, SqlStatement } from '../d1/connection.js';
import { detectForeignLedgers, foreignReadStatement, parseForeignRows, type ForeignLedger } from './foreign-ledgers.js';

export const META_TABLE = 'promote_migrations';
/** The seeds' ledger (seeds.ts): bookkeeping like the others, never part of the schema. */
export const SEED_TABLE = 'promote_seeds';

export { quoteIdent } from '../d1/quote-ident.js';
import { quoteIdent } from '../d1/quote-ident.js';

/** Wrangler's DDL (workers-sdk d1/migrations/helpers.ts), so `wrangler d1 migrations list` agrees with us. */
export function createLedgerSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;
}

export const CREATE_META_SQL = `CREATE TABLE IF NOT EXISTS ${META_TABLE}(
  name        TEXT PRIMARY KEY,
  checksum    TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  applied_at  TEXT NOT NULL,
  started_jd  REAL,
  duration_ms REAL,
  adopted     INTEGER NOT NULL DEFAULT 0
)`;

export type { LedgerRow, MetaRow, SchemaObject, SeedRow } from '../migrations/applied-state.js';
import type { LedgerRow, MetaRow, SchemaObject, SeedRow } from '../migrations/applied-state.js';

/** promote_migrations.adopted: applied by promote, adopted from wrangler's ledger at a migrate, or proven by `promote baseline`. */
export const ADOPTED = { applied: 0, wrangler: 1, baseline: 2 } as const;

export interface DatabaseState {
  ledger: LedgerRow[];
  meta: Map<string, MetaRow>;
  /** User objects, shadow tables of virtual tables, internal tables and promote_seeds left out. */
  schema: SchemaObject[];
  /** promote_seeds, in the order applied (empty before the first seed). */
  seeds: SeedRow[];
  /** Other tools' ledgers found beside ours, read as claims (see foreign-ledgers.ts). */
  foreign: ForeignLedger[];
}

export function isInternalName(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith('_cf_');
}

/**
 * Reads ledger, metadata, other tools' ledgers and schema without writing
 * anything: one round trip for a fresh database, two once a ledger exists.
 */
export async function readDatabaseState(conn: D1Connection, ledgerTable: string): Promise<DatabaseState> {
  const [master, tableList] = await conn.batch([
    { sql: 'SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid' },
    { sql: 'PRAGMA table_list' },
  ]);
  const shadow = new Set(
    (tableList?.results ?? []).filter((t) => t.type === 'shadow').map((t) => String(t.name)),
  );
  const objects = (master?.results ?? [])
    .map((r) => r as unknown as SchemaObject)
    .filter((o) => !isInternalName(o.name) && !shadow.has(o.name));
  const names = new Set(objects.map((o) => o.name));
  // Seeds are data: their ledger must not make dev's schema differ from production's.
  const schema = objects.filter((o) => o.tbl_name !== SEED_TABLE);
  const reads: SqlStatement[] = [];
  const at = (present: boolean, sql: string): number | undefined => (present ? reads.push({ sql }) - 1 : undefined);
  const ledgerAt = at(names.has(ledgerTable), `SELECT id, name, applied_at FROM ${quoteIdent(ledgerTable)} ORDER BY id`);
  const metaAt = at(names.has(META_TABLE), `SELECT name, checksum, run_id, applied_at, duration_ms, adopted FROM ${META_TABLE}`);
  const seedsAt = at(names.has(SEED_TABLE), `SELECT id, name, applied_at, checksum, run_id FROM ${SEED_TABLE} ORDER BY id`);
  const foreignTables = detectForeignLedgers(schema, ledgerTable);
  const own = reads.length;
  reads.push(...foreignTables.map(foreignReadStatement));
  const results = reads.length > 0 ? await conn.batch(reads) : [];
  const rows = <T>(i: number | undefined): T[] => (i === undefined ? [] : ((results[i]?.results ?? []) as unknown as T[]));
  const metaRows = rows<MetaRow>(metaAt);
  const foreign = foreignTables.map((t, i) => parseForeignRows(t, results[own + i]?.results ?? []));
  return { ledger: rows<LedgerRow>(ledgerAt), meta: new Map(metaRows.map((m) => [m.name, m])), schema, seeds: rows<SeedRow>(seedsAt), foreign };
}

/** DDL to rebuild this schema elsewhere (preflight scratch): tables, then indexes, views, triggers. */
export function schemaSql(schema: readonly SchemaObject[]): string[] {
  const order = { table: 0, index: 1, view: 2, trigger: 3 } as const;
  return [...schema].sort((a, b) => order[a.type] - order[b.type]).map((o) => o.sql);
}
