/**
 * Other tools' ledgers, found in a database promote is asked to adopt: a
 * home-made `_migrations(filename, ...)` or `_migrations(version, name, ...)`,
 * drizzle-orm's `__drizzle_migrations(id, hash, created_at)`, and wrangler's
 * own ledger under another table name. Each is read as a claim ("these
 * migrations are applied"), never trusted: `promote baseline` proves a claim
 * against the live schema before it records anything, and leaves the table as
 * it is.
 */
import { createHash } from 'node:crypto';
import type { Migration } from '../migrations/types.js';
import { createTableColumns } from '../schema/normalize-sql.js';
import type { SqlStatement } from '../d1/connection.js';
import { quoteIdent } from '../d1/quote-ident.js';
import type { SchemaObject } from '../migrations/applied-state.js';

export type ForeignKind = 'filename' | 'version' | 'drizzle' | 'wrangler';

export interface ForeignLedgerTable {
  table: string;
  kind: ForeignKind;
  /** Who wrote it, for messages: "drizzle-orm", "wrangler (migrations_table old_migrations)". */
  tool: string;
}

export interface ForeignEntry {
  /** What the row names: a file name, "version 3 (0003_x)", or a drizzle hash. */
  label: string;
  filename?: string;
  version?: number;
  name?: string;
  hash?: string;
  /** ISO time when the row says when, else absent. */
  appliedAt?: string;
}

export interface ForeignLedger extends ForeignLedgerTable {
  entries: ForeignEntry[];
}

/** Recognises the shapes from the tables' CREATE statements: no query needed. */
export function detectForeignLedgers(schema: readonly SchemaObject[], ledgerTable: string): ForeignLedgerTable[] {
  const out: ForeignLedgerTable[] = [];
  for (const o of schema) {
    if (o.type !== 'table' || o.name.toLowerCase() === ledgerTable.toLowerCase() || !/migrations/i.test(o.name)) continue;
    const cols = new Set(createTableColumns(o.sql));
    if (o.name === '__drizzle_migrations' && cols.has('hash') && cols.has('created_at')) out.push({ table: o.name, kind: 'drizzle', tool: 'drizzle-orm' });
    else if (cols.has('filename') && cols.has('applied_at')) out.push({ table: o.name, kind: 'filename', tool: `a migration runner (${o.name}.filename)` });
    else if (cols.has('version') && cols.has('name') && cols.has('applied_at')) out.push({ table: o.name, kind: 'version', tool: `a migration runner (${o.name}.version)` });
    else if (cols.size === 3 && cols.has('id') && cols.has('name') && cols.has('applied_at')) out.push({ table: o.name, kind: 'wrangler', tool: `wrangler (migrations_table ${o.name})` });
  }
  return out;
}

export function foreignReadStatement(t: ForeignLedgerTable): SqlStatement {
  const q = quoteIdent(t.table);
  switch (t.kind) {
    case 'filename':
      return { sql: `SELECT filename, applied_at FROM ${q} ORDER BY applied_at, filename` };
    case 'version':
      return { sql: `SELECT version, name, applied_at FROM ${q} ORDER BY version` };
    case 'drizzle':
      return { sql: `SELECT hash, created_at FROM ${q} ORDER BY created_at` };
    case 'wrangler':
      return { sql: `SELECT name, applied_at FROM ${q} ORDER BY id` };
  }
}

/** Epoch seconds or milliseconds, or a date string, as ISO; absent when it is none of these. */
function isoTime(v: unknown): string | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : /^\d+(\.\d+)?$/.test(String(v)) ? Number(v) : undefined;
  const date = n !== undefined ? new Date(n > 1e11 ? n : n * 1000) : new Date(String(v).replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? '' : 'Z'));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function parseForeignRows(t: ForeignLedgerTable, rows: readonly Record<string, unknown>[]): ForeignLedger {
  const entries = rows.map((r): ForeignEntry => {
    const at = isoTime(t.kind === 'drizzle' ? r.created_at : r.applied_at);
    const when = at ? { appliedAt: at } : {};
    switch (t.kind) {
      case 'filename':
        return { label: String(r.filename), filename: String(r.filename), ...when };
      case 'version':
        return { label: `version ${String(r.version)} (${String(r.name)})`, version: Number(r.version), name: String(r.name), ...when };
      case 'drizzle':
        return { label: `hash ${String(r.hash).slice(0, 12)}…`, hash: String(r.hash), ...when };
      case 'wrangler':
        return { label: String(r.name), filename: String(r.name), ...when };
    }
  });
  return { ...t, entries };
}

/**
 * drizzle-orm's migrator (sqlite-core and d1 both) stores sha256 hex of the
 * migration file's text as read from disk, before splitting it at
 * `--> statement-breakpoint`. A BOM is part of what it read.
 */
export function drizzleHash(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

function matches(e: ForeignEntry, m: Migration): boolean {
  if (e.filename !== undefined) {
    const base = e.filename.replace(/\\/g, '/').split('/').pop()!;
    return base === m.name || `${base}.sql` === m.name;
  }
  if (e.version !== undefined) {
    const stem = m.name.replace(/\.sql$/, '');
    return e.version === m.number && (e.name === undefined || [stem, m.slug, m.name].includes(e.name));
  }
  if (e.hash !== undefined) return e.hash === drizzleHash(m.sql) || e.hash === drizzleHash(`\uFEFF${m.sql}`);
  return false;
}

export interface ForeignClaim {
  ledger: ForeignLedger;
  /** The migration files its rows name, in file order. */
  claimed: Migration[];
  /** Rows that name no file here: a claim nobody can prove. */
  unknown: ForeignEntry[];
}

export function claimOf(ledger: ForeignLedger, migrations: readonly Migration[]): ForeignClaim {
  const claimed = new Set<Migration>();
  const unknown: ForeignEntry[] = [];
  for (const e of ledger.entries) {
    const m = migrations.find((x) => matches(e, x));
    if (m) claimed.add(m);
    else unknown.push(e);
  }
  return { ledger, claimed: migrations.filter((m) => claimed.has(m)), unknown };
}

/** Pending migrations another tool says it applied: name -> that tool. */
export function notAdopted(migrations: readonly Migration[], foreign: readonly ForeignLedger[], applied: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const ledger of foreign) {
    for (const m of claimOf(ledger, migrations).claimed) if (!applied.has(m.name) && !out.has(m.name)) out.set(m.name, ledger.tool);
  }
  return out;
}
