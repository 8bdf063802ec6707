/**
 * A draft rollback file for one migration, written purely from the schema
 * before and after it (both as SchemaRows, the sqlite_master rows keeping each
 * object's SQL so it can be recreated verbatim). What the migration created is
 * dropped, what it dropped is recreated, a table it renamed is renamed back,
 * columns it only added are dropped, and any other change to a table is undone
 * by rebuilding it from its previous definition (SQLite's 12-step recipe, with
 * the foreign-key checks deferred as D1 requires) copying the rows across.
 * The data the migration destroyed cannot be brought back by SQL: the draft
 * says which, in its header and where it happens.
 */
import { quoteIdent } from '../d1/quote-ident.js';
import { identifierOf, isKeyword, tokenize, type Token } from '../migrations/sql-tokens.js';
import { fingerprintSchema, type SchemaRows, type TableShape } from './fingerprint.js';
import { normalizeTokens } from './normalize-sql.js';

export interface RevertDraftInput {
  /** The forward migration's file name, e.g. 0002_add_users.sql: named in the header. */
  migration: string;
  before: SchemaRows;
  after: SchemaRows;
  /** Bookkeeping tables left out (ledgers, promote's own), as the fingerprint leaves them out. */
  exclude: readonly string[];
}

export interface RevertDraft {
  /** The whole file: header, then one statement per line group, each ending with `;`. */
  sql: string;
  /** The data the migration destroyed that the draft cannot bring back, one line each. */
  lost: string[];
  /** What the draft itself does to other rows (cascades) or guesses (renames, placeholders). */
  warnings: string[];
}

type Kind = 'table' | 'index' | 'view' | 'trigger';

interface SchemaObject {
  type: Kind;
  /** As SQLite has it (case kept), for the SQL the draft writes. */
  name: string;
  /** Lower case: SQLite compares names case-insensitively. */
  key: string;
  table: string;
  sql: string;
  /** sqlite_master order: creating in it satisfies views built on views. */
  order: number;
}

interface Side {
  objects: Map<string, SchemaObject>;
  tables: Map<string, TableShape>;
  columns: Map<string, SchemaRows['columns']>;
}

const lower = (s: string) => s.toLowerCase();
const q = quoteIdent;

function readSide(rows: SchemaRows, exclude: readonly string[]): Side {
  const fp = fingerprintSchema(rows, { exclude });
  const kept = new Set(fp.objects.map((o) => `${o.type} ${o.name}`));
  const objects = new Map<string, SchemaObject>();
  rows.master.forEach((m, order) => {
    const type = m.type as Kind;
    if (m.sql === null || !kept.has(`${type} ${lower(m.name)}`)) return;
    objects.set(`${type} ${lower(m.name)}`, { type, name: m.name, key: lower(m.name), table: lower(m.tbl_name), sql: m.sql, order });
  });
  const tables = new Map(fp.objects.filter((o): o is TableShape => o.type === 'table').map((t) => [t.name, t]));
  const columns = new Map<string, SchemaRows['columns']>();
  for (const c of rows.columns) {
    const key = lower(c.tbl);
    if (!tables.has(key)) continue;
    columns.set(key, [...(columns.get(key) ?? []), c].sort((a, b) => a.cid - b.cid));
  }
  return { objects, tables, columns };
}

const ofType = (side: Side, type: Kind) => [...side.objects.values()].filter((o) => o.type === type).sort((a, b) => a.order - b.order);

/** The table's shape with its own name taken out, so a renamed table compares equal to its old self. */
function anonymous(t: TableShape): string {
  const self = new RegExp(`REFERENCES ${t.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( |$)`, 'g');
  return JSON.stringify({ ...t, name: '', foreignKeys: t.foreignKeys.map((f) => f.replace(self, 'REFERENCES <self>$1')) });
}

/** Normalized SQL with the after-side names of renamed tables and columns put back, for comparing with before. */
function normalizedWith(sql: string, renames: ReadonlyMap<string, string>): string {
  const tokens = tokenize(sql).map((t): Token => {
    const id = t.kind === 'word' || t.kind === 'quoted' ? identifierOf(t) : undefined;
    const back = id === undefined ? undefined : renames.get(lower(id));
    return back === undefined ? t : { ...t, kind: 'word', text: back };
  });
  return normalizeTokens(tokens.at(-1)?.text === ';' ? tokens.slice(0, -1) : tokens);
}

/** True when the SQL names `table` anywhere (a view's FROM, a trigger's body). */
function mentions(sql: string, table: string): boolean {
  return tokenize(sql).some((t) => (t.kind === 'word' || t.kind === 'quoted') && lower(identifierOf(t) ?? '') === table);
}

/** The CREATE TABLE statement with another table name in place of its own. */
function renamedCreate(sql: string, name: string): string {
  const tokens = tokenize(sql);
  let i = isKeyword(tokens, 1, 'VIRTUAL') ? 3 : 2;
  if (isKeyword(tokens, i, 'IF') && isKeyword(tokens, i + 1, 'NOT') && isKeyword(tokens, i + 2, 'EXISTS')) i += 3;
  // A schema qualifier (main.x) is dropped with the name it qualifies.
  const first = tokens[i]!;
  const last = tokens[i + 1]?.text === '.' && tokens[i + 2] ? tokens[i + 2]! : first;
  return `${sql.slice(0, first.start)}${q(name)}${sql.slice(last.end)}`;
}

/** The column definition as written in a CREATE TABLE (`age INTEGER CHECK (age > 0)`), or undefined. */
function columnDefinition(createTable: string, column: string): string | undefined {
  const tokens = tokenize(createTable);
  const open = tokens.findIndex((t) => t.text === '(' && t.kind === 'punct');
  if (open < 0) return undefined;
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')' && depth > 0) depth--;
    else if (t.kind === 'punct' && (t.text === ',' || t.text === ')') && depth === 0) {
      const first = tokens[start];
      if (first && lower(identifierOf(first) ?? '') === lower(column) && !['PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN', 'CONSTRAINT'].includes(first.text.toUpperCase())) {
        return createTable.slice(first.start, tokens[i - 1]!.end);
      }
      if (t.text === ')') return undefined;
      start = i + 1;
    }
  }
  return undefined;
}

const countWord = (sql: string, word: string) => tokenize(sql).filter((t) => t.kind === 'word' && t.text.toUpperCase() === word).length;

/**
 * Columns the migration dropped from the end of a table, nothing else changed:
 * ADD COLUMN puts each back where it was (at the end) without rebuilding the
 * table, so no other table's ON DELETE action runs. Undefined when SQLite's
 * ADD COLUMN cannot take one of them (key, unique, non-constant default,
 * NOT NULL without default, generated, a table constraint naming it).
 */
function readdableColumns(was: TableShape, now: TableShape, wasCols: SchemaRows['columns'], sql: string): string[] | undefined {
  if (now.columns.length >= was.columns.length || !now.columns.every((c, i) => was.columns[i]?.description === c.description)) return undefined;
  if (JSON.stringify(was.uniques) !== JSON.stringify(now.uniques) || JSON.stringify(was.options) !== JSON.stringify(now.options)) return undefined;
  if (!now.foreignKeys.every((f) => was.foreignKeys.includes(f)) || !now.checks.every((c) => was.checks.includes(c))) return undefined;
  const restored = wasCols.slice(now.columns.length);
  const definitions: string[] = [];
  for (const c of restored) {
    const constantDefault = c.dflt_value === null || !/^\(|^CURRENT_/i.test(c.dflt_value);
    if (c.pk !== 0 || c.hidden !== 0 || !constantDefault || (c.notnull && c.dflt_value === null)) return undefined;
    const definition = columnDefinition(sql, c.name);
    if (definition === undefined || countWord(definition, 'UNIQUE') > 0 || countWord(definition, 'PRIMARY') > 0) return undefined;
    definitions.push(definition);
  }
  // Every CHECK and foreign key the table lost must come back with one of these definitions.
  const all = definitions.join(' ');
  if (countWord(all, 'CHECK') !== was.checks.length - now.checks.length || countWord(all, 'REFERENCES') !== was.foreignKeys.length - now.foreignKeys.length) return undefined;
  return definitions;
}

/** Characters two names share at their start and at their end: how alike a renamed table's names are. */
function sharedEnds(a: string, b: string): number {
  let start = 0;
  while (start < a.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  return start + end;
}

/** A value that satisfies NOT NULL for a column whose old values are gone, by its type's affinity. */
function placeholder(type: string): string {
  const t = type.toUpperCase();
  if (t.includes('INT') || /REAL|FLOA|DOUB|NUM|DEC|BOOL/.test(t)) return '0';
  if (t.includes('BLOB')) return "X''";
  return "''";
}

interface Rebuild {
  table: SchemaObject;
  /** before column -> after column it is copied from. */
  copies: [string, string][];
  /** before columns given a placeholder (NOT NULL, no default, nothing to copy). */
  placeholders: [string, string][];
  lostColumns: string[];
}

export function revertDraft(input: RevertDraftInput): RevertDraft {
  const before = readSide(input.before, input.exclude);
  const after = readSide(input.after, input.exclude);
  const lost: string[] = [];
  const warnings: string[] = [];
  const body: string[] = [];
  const emit = (comment: string | undefined, ...statements: string[]) => {
    if (comment) body.push(...comment.split('\n').map((l) => `-- ${l}`));
    body.push(...statements.map((s) => `${s.trimEnd().replace(/;+$/, '')};`), '');
  };

  // --- Tables: classify every table of either side.
  const onlyBefore = [...before.tables.keys()].filter((k) => !after.tables.has(k));
  const onlyAfter = [...after.tables.keys()].filter((k) => !before.tables.has(k));
  /** after name -> before name, for tables and (per table) columns the migration renamed. */
  const tableRenames = new Map<string, string>();
  for (const a of onlyAfter) {
    const shape = after.tables.get(a)!;
    if (shape.virtual !== undefined) continue;
    const candidates = onlyBefore.filter((b) => ![...tableRenames.values()].includes(b) && anonymous(before.tables.get(b)!) === anonymous(shape));
    if (candidates.length === 0) continue;
    // Several tables of the same shape went: an index or trigger that moved with the table tells which, else the closer name.
    const moved = (b: string) => [...after.objects.values()].filter((o) => o.type !== 'table' && o.table === a && before.objects.get(`${o.type} ${o.key}`)?.table === b).length;
    const score = (b: string) => moved(b) * 1000 + sharedEnds(a, b);
    const match = [...candidates].sort((x, y) => score(y) - score(x))[0]!;
    if (candidates.length > 1) warnings.push(`${after.objects.get(`table ${a}`)!.name} is taken for ${before.objects.get(`table ${match}`)!.name} renamed (tables ${candidates.join(', ')} have its shape): check that it is the right one`);
    tableRenames.set(a, match);
  }
  const created = onlyAfter.filter((a) => !tableRenames.has(a));
  const dropped = onlyBefore.filter((b) => ![...tableRenames.values()].includes(b));
  const columnRenames: { table: string; from: string; to: string }[] = [];
  const addedColumns: { table: string; columns: string[] }[] = [];
  const rebuilds: Rebuild[] = [];
  const readded: { table: string; definitions: string[] }[] = [];

  // A renamed table's new name, in the foreign keys SQLite rewrote, read as its old one.
  const parentRenamed = (t: TableShape): TableShape => ({
    ...t,
    foreignKeys: t.foreignKeys.map((f) => f.replace(/ REFERENCES (\S+)/, (all, parent: string) => (tableRenames.has(parent) ? ` REFERENCES ${tableRenames.get(parent)!}` : all))).sort(),
  });
  for (const [key, was] of before.tables) {
    const found = after.tables.get(key);
    if (!found) continue;
    const now = parentRenamed(found);
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    const table = before.objects.get(`table ${key}`)!;
    const wasCols = before.columns.get(key) ?? [];
    const nowCols = after.columns.get(key) ?? [];
    const same = (a: TableShape[keyof TableShape], b: TableShape[keyof TableShape]) => JSON.stringify(a) === JSON.stringify(b);
    const constraintsSame = same(was.uniques, now.uniques) && same(was.foreignKeys, now.foreignKeys) && same(was.checks, now.checks) && same(was.options, now.options);
    const virtual = was.virtual !== undefined || now.virtual !== undefined;

    // Columns only added at the end, nothing else changed: each can go with DROP COLUMN unless SQLite forbids it.
    const prefix = was.columns.every((c, i) => now.columns[i]?.description === c.description);
    const extra = nowCols.slice(was.columns.length);
    if (!virtual && prefix && extra.length > 0 && constraintsSame && extra.every((c) => c.pk === 0 && c.hidden === 0)) {
      addedColumns.push({ table: table.name, columns: extra.map((c) => c.name).reverse() });
      continue;
    }

    // Columns dropped from the end: added back, their values gone.
    const readd = virtual ? undefined : readdableColumns(was, now, wasCols, table.sql);
    if (readd) {
      readded.push({ table: table.name, definitions: readd });
      for (const c of wasCols.slice(now.columns.length)) lost.push(`column ${table.name}.${c.name}: its values (${input.migration} dropped it; the rows get its default)`);
      continue;
    }

    // Same columns by position, some renamed, no constraint count changed: rename them back (SQLite rewrites every use).
    const stripped = (c: { name: string; description: string }) => c.description.slice(c.name.length);
    const renamed = was.columns.map((c, i) => ({ from: now.columns[i]?.name, to: c.name, ok: now.columns[i] !== undefined && stripped(now.columns[i]!) === stripped(c) }));
    const counts = (t: TableShape) => [t.columns.length, t.uniques.length, t.foreignKeys.length, t.checks.length, t.options.join(' ')].join('/');
    if (!virtual && counts(was) === counts(now) && renamed.every((r) => r.ok) && renamed.some((r) => r.from !== r.to)) {
      const nowNames = new Set(now.columns.map((c) => c.name));
      const wasNames = new Set(was.columns.map((c) => c.name));
      if (renamed.every((r) => r.from === r.to || (!nowNames.has(r.to) && !wasNames.has(r.from!)))) {
        for (const r of renamed) {
          if (r.from !== r.to) columnRenames.push({ table: table.name, from: nowCols.find((c) => lower(c.name) === r.from)!.name, to: wasCols.find((c) => lower(c.name) === r.to)!.name });
        }
        continue;
      }
    }

    // Anything else: rebuild from the before definition, copying the columns both sides have.
    const nowByName = new Map(nowCols.filter((c) => c.hidden === 0).map((c) => [lower(c.name), c]));
    const renameOf = new Map<string, string>();
    // A column that vanished where one of the same definition appeared, at the same position, is taken for a rename.
    was.columns.forEach((c, i) => {
      const n = now.columns[i];
      if (n && !nowByName.has(c.name) && !before.columns.get(key)!.some((x) => lower(x.name) === n.name) && stripped(n) === stripped(c)) renameOf.set(c.name, n.name);
    });
    const rebuild: Rebuild = { table, copies: [], placeholders: [], lostColumns: [] };
    for (const c of wasCols.filter((c) => c.hidden === 0)) {
      const source = nowByName.get(renameOf.get(lower(c.name)) ?? lower(c.name));
      if (source) {
        rebuild.copies.push([c.name, source.name]);
        if (lower(source.name) !== lower(c.name)) warnings.push(`${table.name}.${c.name} is copied from ${source.name}, taken for its new name`);
        continue;
      }
      rebuild.lostColumns.push(c.name);
      lost.push(`column ${table.name}.${c.name}: its values (${input.migration} dropped it)`);
      if (c.notnull && c.dflt_value === null && c.pk === 0) rebuild.placeholders.push([c.name, placeholder(c.type)]);
    }
    if (tokenize(table.sql).some((t) => t.kind === 'word' && t.text.toUpperCase() === 'AUTOINCREMENT')) {
      warnings.push(`${table.name} uses AUTOINCREMENT: after the rebuild its counter goes on from the highest id copied, not from the highest it ever gave`);
    }
    if (virtual) {
      // A virtual table's rows live in its module's shadow tables: the copy is attempted, a changed module may refuse it.
      warnings.push(`${table.name} is a virtual table: check that its new definition accepts the copied columns`);
    }
    rebuilds.push(rebuild);
  }
  const rebuilt = new Set(rebuilds.map((r) => r.table.key));
  for (const d of dropped) lost.push(`table ${before.objects.get(`table ${d}`)!.name}: every row (${input.migration} dropped it)`);

  const renames = new Map<string, string>([...tableRenames].map(([a, b]) => [a, before.objects.get(`table ${b}`)!.name]));
  for (const r of columnRenames) renames.set(lower(r.from), r.to);

  // --- Indexes, views, triggers: which of after's go, which of before's come (back).
  const touched = (o: SchemaObject) => [...rebuilt].some((t) => o.table === t || ((o.type === 'view' || o.type === 'trigger') && mentions(o.sql, t)));
  const unchanged = (o: SchemaObject) => {
    const other = after.objects.get(`${o.type} ${o.key}`);
    return other !== undefined && normalizedWith(other.sql, renames) === normalizedWith(o.sql, new Map());
  };
  const recreate = new Set<string>();
  for (const type of ['index', 'view', 'trigger'] as const) {
    for (const o of ofType(before, type)) if (!unchanged(o) || touched(o)) recreate.add(`${type} ${o.key}`);
  }
  const droppedWithTable = (o: SchemaObject) => o.type !== 'view' && (created.includes(o.table) || rebuilt.has(o.table));
  const drops = (type: 'index' | 'view' | 'trigger') =>
    ofType(after, type)
      .filter((o) => !before.objects.has(`${type} ${o.key}`) || recreate.has(`${type} ${o.key}`))
      // A trigger or index on a table that is dropped or rebuilt goes with it; a view must be dropped by name.
      .filter((o) => !droppedWithTable(o))
      .reverse();

  const dropTriggers = drops('trigger');
  const dropViews = drops('view');
  const dropIndexes = drops('index');
  if (dropTriggers.length > 0) emit('Triggers the migration created or changed.', ...dropTriggers.map((o) => `DROP TRIGGER IF EXISTS ${q(o.name)}`));
  if (dropViews.length > 0) emit('Views the migration created or changed, and views over tables rebuilt below (recreated at the end).', ...dropViews.map((o) => `DROP VIEW IF EXISTS ${q(o.name)}`));
  if (dropIndexes.length > 0) emit('Indexes the migration created or changed.', ...dropIndexes.map((o) => `DROP INDEX IF EXISTS ${q(o.name)}`));

  // Tables it created: a table referenced by another's foreign key after its referrer.
  const referrers = (t: string) => created.filter((c) => c !== t && after.tables.get(c)!.foreignKeys.some((f) => f.includes(` REFERENCES ${t} `) || f.endsWith(` REFERENCES ${t}`)));
  const dropOrder: string[] = [];
  const visit = (t: string, path: Set<string>) => {
    if (dropOrder.includes(t) || path.has(t)) return;
    path.add(t);
    for (const r of referrers(t)) visit(r, path);
    dropOrder.push(t);
  };
  for (const t of [...created].sort((a, b) => after.objects.get(`table ${b}`)!.order - after.objects.get(`table ${a}`)!.order)) visit(t, new Set());
  for (const t of dropOrder) warnings.push(`drops table ${after.objects.get(`table ${t}`)!.name} and every row written to it since ${input.migration}`);
  for (const a of addedColumns) warnings.push(`drops column${a.columns.length > 1 ? 's' : ''} ${a.columns.map((c) => `${a.table}.${c}`).join(', ')} and the values written to ${a.columns.length > 1 ? 'them' : 'it'} since ${input.migration}`);
  for (const t of dropOrder) emit(`Table ${after.objects.get(`table ${t}`)!.name}: created by ${input.migration}.`, `DROP TABLE IF EXISTS ${q(after.objects.get(`table ${t}`)!.name)}`);

  for (const [a, b] of tableRenames) {
    emit(`Table ${before.objects.get(`table ${b}`)!.name} was renamed to ${after.objects.get(`table ${a}`)!.name} by ${input.migration}.`, `ALTER TABLE ${q(after.objects.get(`table ${a}`)!.name)} RENAME TO ${q(before.objects.get(`table ${b}`)!.name)}`);
  }
  for (const r of columnRenames) {
    emit(`Column ${r.table}.${r.to} was renamed to ${r.from} by ${input.migration}.`, `ALTER TABLE ${q(r.table)} RENAME COLUMN ${q(r.from)} TO ${q(r.to)}`);
  }
  for (const a of addedColumns) {
    emit(`Columns ${input.migration} added to ${a.table}; their values go with them.`, ...a.columns.map((c) => `ALTER TABLE ${q(a.table)} DROP COLUMN ${q(c)}`));
  }

  for (const a of readded) {
    emit(`Columns ${input.migration} dropped from ${a.table}, added back empty (their values cannot come back).`, ...a.definitions.map((d) => `ALTER TABLE ${q(a.table)} ADD COLUMN ${d}`));
  }

  // Tables whose rows a DROP of `parent` changes through ON DELETE/UPDATE actions, nearest first (D1 cannot turn foreign keys off).
  // By the time tables are rebuilt, renamed tables have their before names again.
  const currentName = (key: string) => before.objects.get(`table ${key}`)!.name;
  const beforeKey = (key: string) => tableRenames.get(key) ?? key;
  const edges = [...input.after.foreignKeys.map((f) => ({ ...f, child: beforeKey(lower(f.tbl)), parent: beforeKey(lower(f.table)) })), ...input.before.foreignKeys.map((f) => ({ ...f, child: lower(f.tbl), parent: lower(f.table) }))]
    .filter((f) => before.tables.has(f.child) && !created.includes(f.child))
    .filter((f) => /CASCADE|SET NULL|SET DEFAULT/.test(`${f.on_delete} ${f.on_update}`));
  const referencedKeys = new Set(
    [...input.after.foreignKeys.map((f) => beforeKey(lower(f.table))), ...input.before.foreignKeys.map((f) => lower(f.table))],
  );
  const affected = (parent: string): string[] => {
    const out: string[] = [];
    const queue = [parent];
    while (queue.length > 0) {
      const p = queue.shift()!;
      for (const e of edges) if (e.parent === p && e.child !== parent && !out.includes(e.child)) (out.push(e.child), queue.push(e.child));
    }
    return out;
  };

  // Work tables take a name no table has on either side.
  const taken = new Set([...before.objects.values(), ...after.objects.values()].map((o) => o.key));
  const freeName = (base: string) => {
    let name = base;
    for (let n = 2; taken.has(lower(name)); n++) name = `${base}_${n}`;
    return name;
  };

  rebuilds.forEach((r, at) => {
    const name = r.table.name;
    const temp = freeName(`new_${name}`);
    const children = affected(r.table.key);
    // A child's columns as they are when this rebuild runs: after's if the child is rebuilt later, else before's.
    const childColumns = (key: string) => {
      const later = rebuilds.slice(at + 1).some((x) => x.table.key === key);
      const cols = (later ? after : before).columns.get(key);
      return (cols ?? []).filter((c) => c.hidden === 0).map((c) => q(c.name)).join(', ');
    };
    const keep = (key: string) => q(freeName(`revert_keep_${currentName(key)}`));
    for (const c of children) warnings.push(`rebuilding ${name} runs the ON DELETE/UPDATE actions of ${currentName(c)}'s foreign keys: the draft copies its rows aside and back, which fires its triggers`);
    const target = [...r.copies.map(([to]) => to), ...r.placeholders.map(([to]) => to)];
    const source = [...r.copies.map(([, from]) => q(from)), ...r.placeholders.map(([, value]) => value)];
    const notes = [
      `Table ${name}: rebuilt from its definition before ${input.migration} (create, copy, drop, rename${referencedKeys.has(r.table.key) ? '; the rows go in after the rename, as foreign keys reference it' : ''}).`,
      ...(r.lostColumns.length > 0 ? [`The values of ${r.lostColumns.join(', ')} cannot come back: ${input.migration} dropped them.`] : []),
      ...(r.placeholders.length > 0 ? [`${r.placeholders.map(([c]) => c).join(', ')}: NOT NULL without a default, so every row gets a placeholder; put the right values in.`] : []),
      ...(children.length > 0
        ? [`Dropping ${name} runs the ON DELETE actions of the foreign keys of ${children.map(currentName).join(', ')}: their rows are copied aside first and put back after.`]
        : []),
    ];
    const currentKeyName = (key: string) => q(currentName(key));
    const copy = target.length > 0;
    // Referenced by a foreign key (its own included): DROP counts every referencing row as a deferred
    // violation that a RENAME never clears, so the rows go into the new table only after the rename,
    // where each INSERT into the parent clears them again. Otherwise SQLite's recipe as written.
    const referenced = referencedKeys.has(r.table.key);
    const rebuild = referenced
      ? [
          ...(copy ? [`CREATE TABLE ${keep(r.table.key)} AS SELECT ${r.copies.map(([, from]) => q(from)).join(', ')} FROM ${q(name)}`] : []),
          renamedCreate(r.table.sql, temp),
          `DROP TABLE ${q(name)}`,
          `ALTER TABLE ${q(temp)} RENAME TO ${q(name)}`,
          ...(copy ? [`INSERT INTO ${q(name)} (${target.map(q).join(', ')}) SELECT ${source.join(', ')} FROM ${keep(r.table.key)}`, `DROP TABLE ${keep(r.table.key)}`] : []),
        ]
      : [
          renamedCreate(r.table.sql, temp),
          ...(copy ? [`INSERT INTO ${q(temp)} (${target.map(q).join(', ')}) SELECT ${source.join(', ')} FROM ${q(name)}`] : []),
          `DROP TABLE ${q(name)}`,
          `ALTER TABLE ${q(temp)} RENAME TO ${q(name)}`,
        ];
    emit(
      notes.join('\n'),
      ...children.map((c) => `CREATE TABLE ${keep(c)} AS SELECT ${childColumns(c)} FROM ${currentKeyName(c)}`),
      ...rebuild,
      ...[...children].reverse().map((c) => `DELETE FROM ${currentKeyName(c)}`),
      ...children.flatMap((c) => [`INSERT INTO ${currentKeyName(c)} (${childColumns(c)}) SELECT ${childColumns(c)} FROM ${keep(c)}`, `DROP TABLE ${keep(c)}`]),
    );
  });

  for (const d of ofType(before, 'table').filter((o) => dropped.includes(o.key))) {
    emit(`Table ${d.name}: ${input.migration} dropped it; its rows cannot come back.`, d.sql);
  }

  const creates = (type: 'index' | 'view' | 'trigger') => ofType(before, type).filter((o) => recreate.has(`${type} ${o.key}`) || (o.table !== '' && dropped.includes(o.table)));
  const createIndexes = creates('index');
  const createViews = creates('view');
  const createTriggers = creates('trigger');
  if (createIndexes.length > 0) emit('Indexes as they were before.', ...createIndexes.map((o) => o.sql));
  if (createViews.length > 0) emit('Views as they were before.', ...createViews.map((o) => o.sql));
  if (createTriggers.length > 0) emit('Triggers as they were before.', ...createTriggers.map((o) => o.sql));

  const statements =
    body.length > 0 ? body : [`-- ${input.migration} leaves the schema as it was (it changes data only?): undoing its data changes is for you to write here.`, ''];
  if (body.length === 0) warnings.push(`${input.migration} changes no schema: the draft has nothing to undo, write the statements that undo its data changes`);
  const header = [
    `-- DRAFT rollback of ${input.migration}, generated by \`promote new --revert\` from the schema`,
    `-- before and after it (both replayed on a scratch database). Review it before use: it undoes`,
    `-- the schema change; it cannot undo what the migration did to data.`,
    '--',
    ...(lost.length > 0 ? ['-- Data that cannot come back:', ...lost.map((l) => `--   ${l}`)] : ['-- Data that cannot come back: none found (the schema change lost no column or table).']),
    ...(warnings.length > 0 ? ['--', '-- Check:', ...warnings.map((w) => `--   ${w}`)] : []),
    '',
  ];
  return {
    // Foreign keys are checked at the end of the transaction, so tables can be rebuilt and dropped in any order (D1 always enforces them).
    sql: [...header, 'PRAGMA defer_foreign_keys = on;', '', ...statements].join('\n'),
    lost,
    warnings,
  };
}
