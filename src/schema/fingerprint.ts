/**
 * A database's schema in a normalized form, built purely from what SQLite
 * reports about it (sqlite_master and the table_xinfo / index_list /
 * index_xinfo / foreign_key_list pragmas). Two databases have equal
 * fingerprints exactly when their schemas are the same, however the SQL that
 * made them was written: the structure comes from the pragmas, and the SQL
 * text that remains (views, triggers, CHECKs, partial index WHEREs) is
 * normalized by the tokenizer.
 */
import { createHash } from 'node:crypto';
import { checkConstraints, normalizeSql, partialIndexWhere, tableOptions } from './normalize-sql.js';

/** Rows as the read in src/ledger/schema-read.ts returns them (one batch of SELECTs). */
export interface SchemaRows {
  master: { type: string; name: string; tbl_name: string; sql: string | null }[];
  tableList: { name: string; type: string }[];
  columns: { tbl: string; cid: number; name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }[];
  indexList: { tbl: string; name: string; unique: number; origin: string; partial: number }[];
  indexColumns: { idx: string; seqno: number; cid: number; name: string | null; desc: number; coll: string | null; key: number }[];
  foreignKeys: { tbl: string; id: number; seq: number; table: string; from: string; to: string | null; on_update: string; on_delete: string; match: string }[];
}

export interface ColumnShape {
  name: string;
  /** e.g. "nickname TEXT NOT NULL DEFAULT 'x'": what a diff prints and compares. */
  description: string;
}

export interface TableShape {
  type: 'table';
  name: string;
  columns: ColumnShape[];
  uniques: string[];
  foreignKeys: string[];
  checks: string[];
  options: string[];
  /** Virtual tables are compared by their normalized CREATE statement. */
  virtual?: string;
}

export interface IndexShape {
  type: 'index';
  name: string;
  table: string;
  /** e.g. "UNIQUE ON users (email) WHERE DELETED_AT IS NULL". */
  description: string;
}

export interface SqlShape {
  type: 'view' | 'trigger';
  name: string;
  table: string;
  sql: string;
}

export type ObjectShape = TableShape | IndexShape | SqlShape;

export interface SchemaFingerprint {
  /** Sorted by type, then name: the order of creation does not count. */
  objects: ObjectShape[];
}

export interface FingerprintOptions {
  /** Tables left out with their indexes and triggers: ledgers, promote's own tables. Case-insensitive. */
  exclude: readonly string[];
}

const lower = (s: string) => s.toLowerCase();

export function isExcludedName(name: string, exclude: ReadonlySet<string>): boolean {
  const n = lower(name);
  return n.startsWith('sqlite_') || n.startsWith('_cf_') || exclude.has(n);
}

function columnDescription(c: SchemaRows['columns'][number]): string {
  const parts = [lower(c.name)];
  if (c.type) parts.push(normalizeSql(c.type));
  if (c.pk > 0) parts.push(c.pk > 1 ? `PRIMARY KEY(${c.pk})` : 'PRIMARY KEY');
  if (c.notnull) parts.push('NOT NULL');
  if (c.dflt_value !== null) parts.push(`DEFAULT ${normalizeSql(c.dflt_value)}`);
  // table_xinfo's hidden: 1 hidden column of a virtual table, 2 generated VIRTUAL, 3 generated STORED.
  if (c.hidden === 2) parts.push('GENERATED VIRTUAL');
  if (c.hidden === 3) parts.push('GENERATED STORED');
  if (c.hidden === 1) parts.push('HIDDEN');
  return parts.join(' ');
}

function indexKey(rows: readonly SchemaRows['indexColumns'][number][]): string[] {
  return rows
    .filter((r) => r.key === 1)
    .sort((a, b) => a.seqno - b.seqno)
    .map((r) => {
      const name = r.cid === -2 ? '<expression>' : r.cid === -1 ? 'ROWID' : lower(r.name ?? '');
      const coll = r.coll && r.coll.toUpperCase() !== 'BINARY' ? ` COLLATE ${r.coll.toUpperCase()}` : '';
      return `${name}${coll}${r.desc ? ' DESC' : ''}`;
    });
}

function group<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

function foreignKeyDescriptions(rows: readonly SchemaRows['foreignKeys'][number][]): string[] {
  return [...group(rows, (r) => String(r.id)).values()]
    .map((fk) => {
      const ordered = [...fk].sort((a, b) => a.seq - b.seq);
      const first = ordered[0]!;
      const to = ordered.every((r) => r.to !== null) ? ` (${ordered.map((r) => lower(r.to!)).join(', ')})` : '';
      return `(${ordered.map((r) => lower(r.from)).join(', ')}) REFERENCES ${lower(first.table)}${to} ON UPDATE ${first.on_update} ON DELETE ${first.on_delete}${first.match !== 'NONE' ? ` MATCH ${first.match}` : ''}`;
    })
    .sort();
}

export function fingerprintSchema(rows: SchemaRows, opts: FingerprintOptions): SchemaFingerprint {
  const exclude = new Set(opts.exclude.map(lower));
  const shadow = new Set(rows.tableList.filter((t) => t.type === 'shadow').map((t) => lower(t.name)));
  const keep = (name: string, table: string) => !isExcludedName(name, exclude) && !isExcludedName(table, exclude) && !shadow.has(lower(name)) && !shadow.has(lower(table));
  const columnsOf = group(rows.columns, (c) => lower(c.tbl));
  const indexesOf = group(rows.indexList, (i) => lower(i.tbl));
  const keyOf = group(rows.indexColumns, (c) => lower(c.idx));
  const fksOf = group(rows.foreignKeys, (f) => lower(f.tbl));
  const indexInfo = new Map(rows.indexList.map((i) => [lower(i.name), i]));
  const objects: ObjectShape[] = [];

  for (const o of rows.master) {
    if (!keep(o.name, o.tbl_name)) continue;
    const name = lower(o.name);
    if (o.type === 'table') {
      const sql = o.sql ?? '';
      const isVirtual = /^\s*CREATE\s+VIRTUAL\b/i.test(sql);
      const indexes = indexesOf.get(name) ?? [];
      objects.push({
        type: 'table',
        name,
        columns: [...(columnsOf.get(name) ?? [])].sort((a, b) => a.cid - b.cid).map((c) => ({ name: lower(c.name), description: columnDescription(c) })),
        uniques: indexes
          .filter((i) => i.origin === 'u')
          .map((i) => `UNIQUE (${indexKey(keyOf.get(lower(i.name)) ?? []).join(', ')})`)
          .sort(),
        foreignKeys: foreignKeyDescriptions(fksOf.get(name) ?? []),
        checks: checkConstraints(sql).sort(),
        options: tableOptions(sql),
        ...(isVirtual ? { virtual: normalizeSql(sql) } : {}),
      });
    } else if (o.type === 'index' && o.sql !== null) {
      const info = indexInfo.get(name);
      const key = indexKey(keyOf.get(name) ?? []);
      // An expression index's key is not in the pragmas: its normalized statement stands in for it.
      const on = key.includes('<expression>') ? normalizeSql(o.sql) : `${lower(o.tbl_name)} (${key.join(', ')})`;
      const where = partialIndexWhere(o.sql);
      objects.push({
        type: 'index',
        name,
        table: lower(o.tbl_name),
        description: `${info?.unique ? 'UNIQUE ' : ''}ON ${on}${where ? ` WHERE ${where}` : ''}`,
      });
    } else if ((o.type === 'view' || o.type === 'trigger') && o.sql !== null) {
      objects.push({ type: o.type, name, table: lower(o.tbl_name), sql: normalizeSql(o.sql) });
    }
  }
  const order = { table: 0, index: 1, view: 2, trigger: 3 } as const;
  objects.sort((a, b) => order[a.type] - order[b.type] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { objects };
}

/** sha256 of the canonical form: equal digests iff equal fingerprints. */
export function fingerprintDigest(fp: SchemaFingerprint): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(fp.objects)).digest('hex')}`;
}
