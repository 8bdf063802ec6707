/**
 * A database as SQL, read through the D1 seam (the local target's dump; the
 * cloudflare target uses D1's export API instead), and the census a backup's
 * header records: schema fingerprint and row count per table.
 *
 * The rows and the counts come from one batch (one transaction), so they agree;
 * the schema read before it is checked against the same batch's sqlite_master.
 * Values are written by SQLite's own quote(): NULL, integers (all 64 bits,
 * never through a JSON number), reals that read back equal, text with '' and
 * BLOBs as X'..'. The lease row (promote_lock) is left out: it is the running
 * promotion's, and restored it would lock the restored database.
 */
import { RunError } from '../errors.js';
import type { D1Connection, SqlStatement } from '../d1/connection.js';
import { quoteIdent } from '../d1/quote-ident.js';
import { fingerprintSchema, type SchemaRows } from '../schema/fingerprint.js';
import { LOCK_TABLE } from '../ledger/lease.js';
import { readSchemaRows } from '../ledger/schema-read.js';
import type { DatabaseCensus } from './backup-file.js';

const MASTER = 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid';
const ATTEMPTS = 3;

/** Not part of a backup: SQLite's and Cloudflare's internal tables, FTS shadow tables, the lease. */
function isLeftOut(name: string, shadow: ReadonlySet<string>): boolean {
  const n = name.toLowerCase();
  return n.startsWith('sqlite_') || n.startsWith('_cf_') || n === LOCK_TABLE || shadow.has(n);
}

interface DumpPlan {
  rows: SchemaRows;
  tables: { name: string; columns: string[] }[];
  shadow: Set<string>;
}

function planOf(rows: SchemaRows): DumpPlan {
  const shadow = new Set(rows.tableList.filter((t) => t.type === 'shadow').map((t) => t.name.toLowerCase()));
  const tables = rows.master
    .filter((o) => o.type === 'table' && !isLeftOut(o.name, shadow))
    .map((o) => ({
      name: o.name,
      // Generated columns (hidden 2, 3) cannot be inserted; a virtual table's hidden columns (1) are not its data.
      columns: rows.columns.filter((c) => c.tbl === o.name && c.hidden === 0).sort((a, b) => a.cid - b.cid).map((c) => c.name),
    }));
  return { rows, tables, shadow };
}

function censusOf(plan: DumpPlan, counts: readonly number[]): DatabaseCensus {
  return {
    fingerprint: fingerprintSchema(plan.rows, { exclude: [LOCK_TABLE] }),
    rows: Object.fromEntries(plan.tables.map((t, i) => [t.name.toLowerCase(), counts[i] ?? 0])),
  };
}

const sameMaster = (a: readonly unknown[], b: readonly unknown[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Reads the schema, then `reads(plan)` in one batch that starts with sqlite_master
 * again: when the schema moved in between (a migration ran), it starts over.
 */
async function consistentRead<T>(conn: D1Connection, reads: (plan: DumpPlan) => SqlStatement[], use: (plan: DumpPlan, results: Record<string, unknown>[][]) => T, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const plan = planOf(await readSchemaRows(conn, signal));
    const results = await conn.batch([{ sql: MASTER }, ...reads(plan)], signal ? { signal } : {});
    if (sameMaster(results[0]?.results ?? [], plan.rows.master)) return use(plan, results.slice(1).map((r) => r.results));
    if (attempt >= ATTEMPTS) throw new RunError(`${conn.label}: the schema changed while it was read, ${ATTEMPTS} times`, 'run again once nothing migrates the database');
  }
}

/** The fingerprint and row counts of a database now (the cloudflare header after an export, a source to verify against). */
export function readCensus(conn: D1Connection, signal?: AbortSignal): Promise<DatabaseCensus> {
  return consistentRead(
    conn,
    (plan) => plan.tables.map((t) => ({ sql: `SELECT count(*) AS n FROM ${quoteIdent(t.name)}` })),
    (plan, results) => censusOf(plan, results.map((r) => Number(r[0]?.n ?? 0))),
    signal,
  );
}

export interface Dump {
  /** The SQL that rebuilds the database: schema, rows, AUTOINCREMENT counters, then indexes, views and triggers. */
  sql: string;
  census: DatabaseCensus;
}

export async function dumpDatabase(conn: D1Connection, signal?: AbortSignal): Promise<Dump> {
  return consistentRead(
    conn,
    (plan) => [
      ...plan.tables.map((t) => ({ sql: `SELECT ${t.columns.map((c) => `quote(${quoteIdent(c)})`).join(" || ',' || ")} AS v FROM ${quoteIdent(t.name)}` })),
      ...(plan.rows.master.some((o) => o.name === 'sqlite_sequence') ? [{ sql: 'SELECT quote(name) AS name, quote(seq) AS seq FROM sqlite_sequence' }] : []),
    ],
    (plan, results) => {
      const objects = plan.rows.master.filter((o) => o.sql !== null && !isLeftOut(o.name, plan.shadow) && !isLeftOut(o.tbl_name, plan.shadow));
      const lines: string[] = ['PRAGMA defer_foreign_keys = on;'];
      for (const o of objects.filter((o) => o.type === 'table')) lines.push(`${o.sql};`);
      plan.tables.forEach((t, i) => {
        const into = `INSERT INTO ${quoteIdent(t.name)} (${t.columns.map(quoteIdent).join(', ')}) VALUES (`;
        for (const row of results[i] ?? []) lines.push(`${into}${String(row.v)});`);
      });
      const sequence = results[plan.tables.length] ?? [];
      const counters = sequence.filter((s) => !isLeftOut(unquote(String(s.name)), plan.shadow));
      if (counters.length > 0) {
        lines.push('DELETE FROM sqlite_sequence;');
        for (const s of counters) lines.push(`INSERT INTO sqlite_sequence (name, seq) VALUES (${String(s.name)}, ${String(s.seq)});`);
      }
      for (const o of objects.filter((o) => o.type !== 'table')) lines.push(`${o.sql};`);
      return { sql: `${lines.join('\n')}\n`, census: censusOf(plan, plan.tables.map((_, i) => results[i]?.length ?? 0)) };
    },
    signal,
  );
}

/** quote()'s text literal back to the text ('it''s' -> it's). */
function unquote(literal: string): string {
  return literal.startsWith("'") ? literal.slice(1, -1).replace(/''/g, "'") : literal;
}
