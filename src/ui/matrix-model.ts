/**
 * The matrix: for every database, its migrations (rows) in every environment
 * (columns), each cell a state in words. Pure: observed environments in, cells out,
 * so `promote ui`, `status --html` and the tests read the same model. The states
 * are the ones `status --json` reports, plus two read across them: a missing file
 * whose checksum reappears under another name is "renamed", and two environments
 * with the same migrations applied but different schemas have "schema drift".
 */
import { pendingChunks } from '../migrations/transport.js';
import { createHash } from 'node:crypto';
import type { ObservedDatabase } from '../engine/observe.js';

export type CellState = 'applied' | 'pending' | 'drift' | 'missing' | 'renamed' | 'unverified' | 'out-of-order' | 'absent' | 'unknown';

export interface MatrixCell {
  state: CellState;
  /** What the cell says (text, never colour alone). */
  text: string;
  /** Lines shown on hover and in the detail panel. */
  detail: string[];
  /** What a person would run about it. */
  command?: string;
}

export interface MatrixColumn {
  environment: string;
  target: string;
  /** Why this environment could not be read (busy, unreachable); its cells are "unknown". */
  unavailable?: string;
  /** Schema compared with the other environments that applied the same migrations. */
  schema?: { text: string; drift: boolean };
}

export interface MatrixTable {
  binding: string;
  columns: MatrixColumn[];
  rows: { migration: string; cells: MatrixCell[] }[];
}

export interface EnvironmentReading {
  name: string;
  target: string;
  /** Absent when the environment could not be read. */
  databases?: readonly ObservedDatabase[];
  unavailable?: string;
}

export const STATE_MARK: Record<CellState, string> = {
  applied: '✓',
  pending: '•',
  drift: '!',
  missing: '!',
  renamed: '→',
  unverified: '✓?',
  'out-of-order': '•!',
  absent: '–',
  unknown: '?',
};

export function buildMatrix(readings: readonly EnvironmentReading[]): MatrixTable[] {
  const bindings = [...new Set(readings.flatMap((r) => (r.databases ?? []).map((d) => d.binding)))];
  return bindings.map((binding) => buildTable(binding, readings));
}

function buildTable(binding: string, readings: readonly EnvironmentReading[]): MatrixTable {
  const dbs = readings.map((r) => r.databases?.find((d) => d.binding === binding));
  // Rows: every file any environment knows, then ledger names no file has any more.
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (n: string) => {
    if (!seen.has(n)) {
      seen.add(n);
      names.push(n);
    }
  };
  for (const db of dbs) for (const m of db?.migrations ?? []) add(m.name);
  for (const db of dbs) for (const a of db?.plan.applied ?? []) add(a.name);
  names.sort();
  const schemas = schemaDrift(readings, dbs);
  const columns: MatrixColumn[] = readings.map((r, i) => ({
    environment: r.name,
    target: r.target,
    ...(r.unavailable ? { unavailable: r.unavailable } : {}),
    ...(schemas[i] ? { schema: schemas[i] } : {}),
  }));
  const indexes = dbs.map((db) => (db ? indexOf(db) : undefined));
  const rows = names.map((migration) => ({
    migration,
    cells: readings.map((r, i) => cellOf(migration, r, dbs[i], indexes[i])),
  }));
  return { binding, columns, rows };
}

/** Lookups by name, built once per database: 500 rows x 10 environments must not scan lists. */
interface DatabaseIndex {
  applied: Map<string, ObservedDatabase['plan']['applied'][number]>;
  drift: Map<string, ObservedDatabase['plan']['drift'][number]>;
  adoptable: Set<string>;
  outOfOrder: Map<string, string>;
  pending: Set<string>;
  /** cloudflare: how each pending migration will travel (`via import (trigger)`). */
  transport: Map<string, string>;
  byChecksum: Map<string, string>;
  /** Applied name -> the file it was renamed to (the plan matched them). */
  renamed: Map<string, string>;
  renamedBy: Map<string, 'checksum' | 'name'>;
}

function indexOf(db: ObservedDatabase): DatabaseIndex {
  return {
    applied: new Map(db.plan.applied.map((a) => [a.name, a])),
    drift: new Map(db.plan.drift.map((d) => [d.name, d])),
    adoptable: new Set(db.plan.adoptable.map((m) => m.name)),
    outOfOrder: new Map(db.plan.outOfOrder.map((x) => [x.name, x.newestApplied])),
    pending: new Set(db.plan.pending.map((m) => m.name)),
    transport: new Map((db.plan.pending.length > 0 ? (pendingChunks(db.plan.pending, db.transport) ?? []) : []).flatMap((c) => c.migrations.map((m) => [m, `via ${c.transport} (${c.reason})`] as const))),
    byChecksum: new Map(db.migrations.map((m) => [m.checksum, m.name])),
    renamed: new Map((db.plan.renamed ?? []).map((r) => [r.from, r.to.name])),
    renamedBy: new Map((db.plan.renamed ?? []).map((r) => [r.from, r.match])),
  };
}

function cellOf(name: string, reading: EnvironmentReading, db: ObservedDatabase | undefined, index: DatabaseIndex | undefined): MatrixCell {
  if (reading.databases === undefined) {
    return { state: 'unknown', text: `${STATE_MARK.unknown} unknown`, detail: [`${reading.name} could not be read: ${reading.unavailable ?? 'unknown reason'}`] };
  }
  if (!db || !index) return { state: 'absent', text: `${STATE_MARK.absent} no database`, detail: [`${reading.name} has no database with this binding`] };
  const applied = index.applied.get(name);
  if (applied) {
    const when = [`applied ${applied.appliedAt}`];
    if (applied.runId) when.push(`by run ${applied.runId}`);
    if (applied.durationMs !== undefined) when.push(`in ${Math.round(applied.durationMs)} ms`);
    const renamedAs = index.renamed.get(name);
    if (renamedAs) {
      return {
        state: 'renamed',
        text: `${STATE_MARK.renamed} renamed`,
        detail: [`the file is now ${renamedAs} (same ${index.renamedBy.get(name) === 'name' ? 'name after the number, its objects present' : 'checksum'})`, when.join(', ')],
        command: `promote repair --env ${reading.name}`,
      };
    }
    const drift = index.drift.get(name);
    if (drift?.reason === 'file missing') {
      const sameContent = applied.checksum ? index.byChecksum.get(applied.checksum) : undefined;
      const renamedTo = sameContent !== undefined && sameContent !== name ? { name: sameContent } : undefined;
      if (renamedTo) {
        return {
          state: 'renamed',
          text: `${STATE_MARK.renamed} renamed`,
          detail: [`the file is now ${renamedTo.name} (same checksum)`, when.join(', ')],
          command: `git mv migrations/${renamedTo.name} migrations/${name}`,
        };
      }
      return { state: 'missing', text: `${STATE_MARK.missing} file missing`, detail: ['applied, but the file is gone', when.join(', ')], command: `git log --diff-filter=D -- '*${name}'` };
    }
    if (drift) {
      return { state: 'drift', text: `${STATE_MARK.drift} drift`, detail: ['applied, but the file changed since (checksum)', when.join(', ')], command: `git log -p -- '*${name}'` };
    }
    if (index.adoptable.has(name)) {
      return { state: 'unverified', text: `${STATE_MARK.unverified} applied`, detail: ['applied by another tool; checksum recorded on next migrate', when.join(', ')] };
    }
    return { state: 'applied', text: `${STATE_MARK.applied} applied`, detail: when };
  }
  const newestApplied = index.outOfOrder.get(name);
  if (newestApplied !== undefined) {
    return {
      state: 'out-of-order',
      text: `${STATE_MARK['out-of-order']} pending`,
      detail: [`pending, numbered below ${newestApplied} which is already applied (a late merge)`],
      command: `promote plan --to ${reading.name}`,
    };
  }
  if (index.pending.has(name)) {
    const transport = index.transport.get(name);
    return { state: 'pending', text: `${STATE_MARK.pending} pending`, detail: ['not applied yet', ...(transport ? [`will travel ${transport}`] : [])], command: `promote --to ${reading.name}` };
  }
  return { state: 'absent', text: `${STATE_MARK.absent}`, detail: ['no such file in this environment’s migrations folder'] };
}

/** Same applied list, different schema: somebody changed the database by hand. */
function schemaDrift(readings: readonly EnvironmentReading[], dbs: readonly (ObservedDatabase | undefined)[]): ({ text: string; drift: boolean } | undefined)[] {
  const keys = dbs.map((db) => (db && db.plan.applied.length > 0 ? { applied: db.plan.applied.map((a) => a.name).join('\n'), schema: fingerprint(db) } : undefined));
  return keys.map((k, i) => {
    if (!k) return undefined;
    const differ = keys.flatMap((o, j) => (o && j !== i && o.applied === k.applied && o.schema !== k.schema ? [readings[j]!.name] : []));
    const same = keys.flatMap((o, j) => (o && j !== i && o.applied === k.applied && o.schema === k.schema ? [readings[j]!.name] : []));
    if (differ.length > 0) return { text: `schema differs from ${differ.join(', ')}`, drift: true };
    return { text: same.length > 0 ? `schema same as ${same.join(', ')}` : 'schema: nothing to compare with', drift: false };
  });
}

function fingerprint(db: ObservedDatabase): string {
  const objects = [...db.state.schema].map((o) => `${o.type}\0${o.name}\0${o.sql.replace(/\s+/g, ' ').trim()}`).sort();
  return createHash('sha256').update(objects.join('\n')).digest('hex');
}
