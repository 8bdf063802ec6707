/**
 * Schema drift: the live schema of a database against the one its applied
 * migrations build (the expected schema). They differ when someone changed
 * the database by hand: an index added in the console, a column dropped in an
 * incident. Pure: two fingerprints and the ignore globs in, the verdict out;
 * reading the live schema and replaying the migrations live in
 * src/ledger/expected-schema.ts.
 */
import { minimatch } from 'minimatch';
import type { ObjectShape, SchemaFingerprint } from './fingerprint.js';
import { diffSchemas, renderDifference, type SchemaDifference } from './schema-diff.js';

export type SchemaCheck =
  | { status: 'matches' }
  | { status: 'drift'; differences: SchemaDifference[] }
  /** The expected schema cannot be known (a ledger row without a file, a replay that failed): said, never a failure. */
  | { status: 'unknown'; reason: string };

/**
 * True when the object is left out: its name (or, for an index, view or
 * trigger, its table's) matches one of the globs. Case-insensitive, as SQLite
 * names are.
 */
export function isIgnoredObject(o: ObjectShape, ignore: readonly string[]): boolean {
  if (ignore.length === 0) return false;
  const names = o.type === 'table' ? [o.name] : [o.name, o.table];
  return ignore.some((glob) => names.some((n) => minimatch(n, glob.toLowerCase(), { nocase: true, dot: true })));
}

export function withoutIgnored(fp: SchemaFingerprint, ignore: readonly string[]): SchemaFingerprint {
  return ignore.length === 0 ? fp : { objects: fp.objects.filter((o) => !isIgnoredObject(o, ignore)) };
}

/** Expected (the replay) against live, leaving out what `migrations.schemaIgnore` names. */
export function compareSchemas(expected: SchemaFingerprint, live: SchemaFingerprint, ignore: readonly string[] = []): SchemaCheck {
  const differences = diffSchemas(withoutIgnored(expected, ignore), withoutIgnored(live, ignore));
  return differences.length === 0 ? { status: 'matches' } : { status: 'drift', differences };
}

/** One line for status and plan: "schema: matches", "schema: 2 differences", "schema: unknown (…)". */
export function describeSchemaCheck(check: SchemaCheck): string {
  if (check.status === 'matches') return 'schema: matches';
  if (check.status === 'unknown') return `schema: unknown (${check.reason})`;
  const n = check.differences.length;
  return `schema: ${n} difference${n === 1 ? '' : 's'} from its migrations`;
}

/** The differences as lines a person reads, one per difference. */
export function describeSchemaDifferences(differences: readonly SchemaDifference[]): string[] {
  return differences.map(renderDifference);
}

/** status --json: `{ matches, differences: [{ object, kind, expected, live }] }`, plus `unknown` when it cannot be said. */
export function schemaCheckJson(check: SchemaCheck): { matches: boolean | null; differences: SchemaDifference[]; unknown?: string } {
  if (check.status === 'unknown') return { matches: null, differences: [], unknown: check.reason };
  return { matches: check.status === 'matches', differences: check.status === 'drift' ? check.differences : [] };
}

/**
 * A difference between two named sides, e.g. "index users_email only in staging"
 * or "table users: column age INTEGER in production, age TEXT in staging".
 * `expected` is the left side (the migrations, or the first environment), `live` the right.
 */
export function renderDifferenceBetween(d: SchemaDifference, left: string, right: string): string {
  if (d.kind === 'object') return `${d.object} only in ${d.live === undefined ? left : right}`;
  if (d.live === undefined) return `${d.object}: ${d.kind} ${d.expected} only in ${left}`;
  if (d.expected === undefined) return `${d.object}: ${d.kind} ${d.live} only in ${right}`;
  return `${d.object}: ${d.kind} ${d.expected} in ${left}, ${d.live} in ${right}`;
}
