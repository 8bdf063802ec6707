/**
 * What differs between two fingerprints, object by object, as data (for
 * --json and status) and as lines a person reads:
 *   table users: column nickname TEXT only in live
 * "expected" is the schema the migrations build, "live" the database's.
 */
import type { ObjectShape, SchemaFingerprint, TableShape } from './fingerprint.js';

export interface SchemaDifference {
  /** e.g. "table users", "index users_email". */
  object: string;
  /** "object" when the whole object is on one side only; else the part: column, unique, foreign key, check, option, definition, sql, column order. */
  kind: string;
  /** The part as the migrations build it; absent when they do not. */
  expected?: string;
  /** The part as the live database has it; absent when it does not. */
  live?: string;
}

const label = (o: ObjectShape) => `${o.type} ${o.name}`;

function summary(o: ObjectShape): string {
  if (o.type === 'table') return o.virtual ?? `${o.name} (${o.columns.map((c) => c.description).join(', ')})`;
  if (o.type === 'index') return o.description;
  return o.sql;
}

function setDiff(object: string, kind: string, expected: readonly string[], live: readonly string[]): SchemaDifference[] {
  const inLive = new Set(live);
  const inExpected = new Set(expected);
  return [
    ...expected.filter((x) => !inLive.has(x)).map((x) => ({ object, kind, expected: x })),
    ...live.filter((x) => !inExpected.has(x)).map((x) => ({ object, kind, live: x })),
  ];
}

function tableDiff(e: TableShape, l: TableShape): SchemaDifference[] {
  const object = label(e);
  if (e.virtual !== undefined || l.virtual !== undefined) {
    return e.virtual === l.virtual ? [] : [{ object, kind: 'definition', expected: summary(e), live: summary(l) }];
  }
  const out: SchemaDifference[] = [];
  const liveCols = new Map(l.columns.map((c) => [c.name, c]));
  const expectedCols = new Map(e.columns.map((c) => [c.name, c]));
  for (const c of e.columns) {
    const other = liveCols.get(c.name);
    if (!other) out.push({ object, kind: 'column', expected: c.description });
    else if (other.description !== c.description) out.push({ object, kind: 'column', expected: c.description, live: other.description });
  }
  for (const c of l.columns) if (!expectedCols.has(c.name)) out.push({ object, kind: 'column', live: c.description });
  if (out.length === 0) {
    const order = (t: TableShape) => t.columns.map((c) => c.name).join(', ');
    if (order(e) !== order(l)) out.push({ object, kind: 'column order', expected: order(e), live: order(l) });
  }
  out.push(
    ...setDiff(object, 'unique', e.uniques, l.uniques),
    ...setDiff(object, 'foreign key', e.foreignKeys, l.foreignKeys),
    ...setDiff(object, 'check', e.checks, l.checks),
    ...setDiff(object, 'option', e.options, l.options),
  );
  return out;
}

export function diffSchemas(expected: SchemaFingerprint, live: SchemaFingerprint): SchemaDifference[] {
  const liveBy = new Map(live.objects.map((o) => [label(o), o]));
  const expectedBy = new Map(expected.objects.map((o) => [label(o), o]));
  const out: SchemaDifference[] = [];
  for (const e of expected.objects) {
    const l = liveBy.get(label(e));
    if (!l) out.push({ object: label(e), kind: 'object', expected: summary(e) });
    else if (e.type === 'table' && l.type === 'table') out.push(...tableDiff(e, l));
    else if (e.type === 'index' && l.type === 'index') {
      if (e.description !== l.description) out.push({ object: label(e), kind: 'definition', expected: e.description, live: l.description });
    } else if (summary(e) !== summary(l)) out.push({ object: label(e), kind: 'sql', expected: summary(e), live: summary(l) });
  }
  for (const l of live.objects) if (!expectedBy.has(label(l))) out.push({ object: label(l), kind: 'object', live: summary(l) });
  return out;
}

export function renderDifference(d: SchemaDifference): string {
  if (d.kind === 'object') return d.live === undefined ? `${d.object} only in the migrations` : `${d.object} only in live`;
  if (d.live === undefined) return `${d.object}: ${d.kind} ${d.expected} only in the migrations`;
  if (d.expected === undefined) return `${d.object}: ${d.kind} ${d.live} only in live`;
  return `${d.object}: ${d.kind} ${d.expected} in the migrations, ${d.live} in live`;
}
