/**
 * Reads what the fingerprint needs in ONE batch of read-only SELECTs, however
 * many tables there are: the pragmas are used as table-valued functions
 * joined to sqlite_master, which D1 allows (its authorizer accepts
 * pragma_table_xinfo & co. as long as no _cf_ table is named, hence the filter
 * inside each join). Over REST that is one request.
 */
import { LOCK_TABLE } from '../runs/lease.js';
import { fingerprintSchema, type SchemaFingerprint, type SchemaRows } from '../schema/fingerprint.js';
import type { D1Connection, SqlStatement, StatementResult } from '../targets/d1-connection.js';
import { META_TABLE } from './ledger.js';

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
  return schemaRowsFrom(await conn.batch(SCHEMA_READ, signal ? { signal } : {}));
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
  return [...ledgerTables, META_TABLE, LOCK_TABLE];
}

export async function readFingerprint(conn: D1Connection, ledgerTables: readonly string[]): Promise<SchemaFingerprint> {
  return fingerprintSchema(await readSchemaRows(conn), { exclude: bookkeepingTables(ledgerTables) });
}
