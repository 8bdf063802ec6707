/**
 * Reads what the fingerprint needs in ONE batch of read-only SELECTs, however
 * many tables there are: the pragmas are used as table-valued functions
 * joined to sqlite_master, which D1 allows (its authorizer accepts
 * pragma_table_xinfo & co. as long as no _cf_ table is named, hence the filter
 * inside each join). Over REST that is one request.
 */
import { D1QueryError } from '../errors.js';
import { LOCK_TABLE } from './lease.js';
import { fingerprintSchema, type SchemaFingerprint, type SchemaRows } from '../schema/fingerprint.js';
import type { D1Connection, SqlStatement, StatementResult } from '../d1/connection.js';
import { META_TABLE, SEED_TABLE } from './ledger.js';

const USER_TABLES = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE '\\_cf\\_%' ESCAPE '\\'";

export const SCHEMA_READ: readonly SqlStatement[] = [
  { sql: 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid' },
  { sql: 'PRAGMA table_list' },
  { sql: `SELECT m.name AS tbl, c.cid, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden FROM sqlite_master m JOIN pragma_table_xinfo(m.name) c WHERE ${USER_TABLES}` },
  { sql: `SELECT m.name AS tbl, i.name, i."unique", i.origin, i.partial FROM sqlite_master m JOIN pragma_index_list(m.name) i WHERE ${USER_TABLES}` },
  {
    sql: `SELECT i.name AS idx, x.seqno, x.cid, x.name, x."desc", x.coll, x."key" FROM sqlite_master m JOIN pragma_index_list(m.name) i JOIN pragma_index_xinfo(i.name) x WHERE ${USER_TABLES}`,
  },
  {
    sql: `SELECT m.name AS tbl, f.id, f.seq, f."table", f."from", f."to", f.on_update, f.on_delete, f."match" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE ${USER_TABLES}`,
  },
];

export async function readSchemaRows(conn: D1Connection, signal?: AbortSignal): Promise<SchemaRows> {
  try {
    return schemaRowsFrom(await conn.batch(SCHEMA_READ, signal ? { signal } : {}));
  } catch (e) {
    // Should a D1 ever refuse the pragma functions, the plain pragmas (on its allow-list) in one batch still do it in two.
    if (!(e instanceof D1QueryError) || !/not authorized/i.test(e.message)) throw e;
    return readSchemaRowsPerObject(conn, signal);
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const isUser = (name: string) => !/^(sqlite_|_cf_)/i.test(name);

/** The same rows from `PRAGMA x(name)` statements: sqlite_master first, then every pragma in one batch. */
export async function readSchemaRowsPerObject(conn: D1Connection, signal?: AbortSignal): Promise<SchemaRows> {
  const options = signal ? { signal } : {};
  const [master, tableList] = await conn.batch(SCHEMA_READ.slice(0, 2), options);
  const objects = (master?.results ?? []) as unknown as SchemaRows['master'];
  const tables = objects.filter((o) => o.type === 'table' && isUser(o.name)).map((o) => o.name);
  const indexes = objects.filter((o) => o.type === 'index' && isUser(o.tbl_name) && tables.includes(o.tbl_name)).map((o) => o.name);
  const pragmas: SqlStatement[] = [
    ...tables.flatMap((t) => ['table_xinfo', 'index_list', 'foreign_key_list'].map((p) => ({ sql: `PRAGMA ${p}(${quote(t)})` }))),
    ...indexes.map((i) => ({ sql: `PRAGMA index_xinfo(${quote(i)})` })),
  ];
  const results = pragmas.length > 0 ? await conn.batch(pragmas, options) : [];
  const rowsAt = (i: number) => results[i]?.results ?? [];
  return {
    master: objects,
    tableList: (tableList?.results ?? []) as unknown as SchemaRows['tableList'],
    columns: tables.flatMap((tbl, t) => rowsAt(t * 3).map((r) => ({ ...r, tbl }))) as unknown as SchemaRows['columns'],
    indexList: tables.flatMap((tbl, t) => rowsAt(t * 3 + 1).map((r) => ({ ...r, tbl }))) as unknown as SchemaRows['indexList'],
    foreignKeys: tables.flatMap((tbl, t) => rowsAt(t * 3 + 2).map((r) => ({ ...r, tbl }))) as unknown as SchemaRows['foreignKeys'],
    indexColumns: indexes.flatMap((idx, i) => rowsAt(tables.length * 3 + i).map((r) => ({ ...r, idx }))) as unknown as SchemaRows['indexColumns'],
  };
}

/** The rows of SCHEMA_READ's results, e.g. the tail of a batch that ran other statements before it. */
export function schemaRowsFrom(results: readonly StatementResult[]): SchemaRows {
  const [master, tableList, columns, indexList, indexColumns, foreignKeys] = results.slice(-SCHEMA_READ.length);
  const rows = <T>(r: { results: Record<string, unknown>[] } | undefined) => (r?.results ?? []) as unknown as T[];
  return {
    master: rows(master),
    tableList: rows(tableList),
    columns: rows(columns),
    indexList: rows(indexList),
    indexColumns: rows(indexColumns),
    foreignKeys: rows(foreignKeys),
  };
}

/** Tables that are bookkeeping, never schema: the ledgers (ours and other tools') and promote's own. */
export function bookkeepingTables(ledgerTables: readonly string[]): string[] {
  return [...ledgerTables, META_TABLE, LOCK_TABLE, SEED_TABLE];
}

export async function readFingerprint(conn: D1Connection, ledgerTables: readonly string[]): Promise<SchemaFingerprint> {
  return fingerprintSchema(await readSchemaRows(conn), { exclude: bookkeepingTables(ledgerTables) });
}
