/**
 * `promote diff --env <a> [--env <b>]`: the difference between two
 * environments' live schemas, database by database (matched by binding), or
 * with one environment, its live schema against the replay of its applied
 * migrations (the schema drift `status` reports). Read-only.
 */
import { InvalidInputError } from '../../errors.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { readLiveSchemas } from '../../engine/live-schemas.js';
import { observeAndClose } from '../../engine/observe.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { diffSchemas, type SchemaDifference } from '../../schema/schema-diff.js';
import { describeSchemaCheck, renderDifferenceBetween, withoutIgnored } from '../../schema/schema-drift.js';
import type { CommandContext } from '../command-context.js';
import { paint, type Output } from '../output.js';
import { withProjectSecrets } from '../settings.js';

interface DatabaseDiff {
  binding: string;
  /** null: cannot be said (the expected schema is unknown, or the other environment has no such database). */
  matches: boolean | null;
  differences: { object: string; kind: string; left?: string; right?: string }[];
  unknown?: string;
}

const sides = (d: SchemaDifference) => ({ object: d.object, kind: d.kind, ...(d.expected !== undefined ? { left: d.expected } : {}), ...(d.live !== undefined ? { right: d.live } : {}) });

export async function run({ root, output, env, settings: base, values }: CommandContext<'diff'>): Promise<number> {
  const names = values.env ?? [];
  if (names.length === 0 || names.length > 2) {
    throw new InvalidInputError([], 'diff needs --env <env> (its live schema against its migrations) or --env <a> --env <b> (two environments\' live schemas)');
  }
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  const envs = names.map((n) => selectEnvironment(ws.project, n, '--env'));
  const ignore = ws.project.pipeline.migrations.schemaIgnore;
  let left: string;
  let right: string;
  let databases: DatabaseDiff[];
  const notes: string[] = [];
  if (envs.length === 1) {
    const [only] = envs as [(typeof envs)[number]];
    left = 'the migrations';
    right = only.name;
    const o = await observeAndClose(ws, only, settings, { schema: true });
    if (o.note) notes.push(`${only.name}: ${o.note}`);
    databases = o.databases.map((d): DatabaseDiff => {
      const check = d.schema!;
      if (check.status === 'unknown') return { binding: d.binding, matches: null, differences: [], unknown: check.reason };
      return { binding: d.binding, matches: check.status === 'matches', differences: check.status === 'drift' ? check.differences.map(sides) : [] };
    });
  } else {
    const [a, b] = envs as [(typeof envs)[number], (typeof envs)[number]];
    left = a.name;
    right = b.name;
    const [la, lb] = await Promise.all([readLiveSchemas(ws, a, settings), readLiveSchemas(ws, b, settings)]);
    for (const [e, l] of [[a, la], [b, lb]] as const) if (l.note) notes.push(`${e.name}: ${l.note}`);
    const bindings = [...new Set([...la.databases, ...lb.databases].map((d) => d.binding))];
    databases = bindings.map((binding): DatabaseDiff => {
      const x = la.databases.find((d) => d.binding === binding);
      const y = lb.databases.find((d) => d.binding === binding);
      if (!x || !y) return { binding, matches: null, differences: [], unknown: `only ${x ? a.name : b.name} has a database bound as ${binding}` };
      const differences = diffSchemas(withoutIgnored(x.fingerprint, ignore), withoutIgnored(y.fingerprint, ignore));
      return { binding, matches: differences.length === 0, differences: differences.map(sides) };
    });
  }
  if (output.json) output.out(JSON.stringify({ type: 'diff', left, right, databases, ...(notes.length > 0 ? { notes } : {}) }));
  else render(output, left, right, databases, notes);
  return 0;
}

function render(output: Output, left: string, right: string, databases: readonly DatabaseDiff[], notes: readonly string[]): void {
  output.out(paint(output, 'bold', `schema: ${left} -> ${right}`));
  for (const n of notes) output.out(`  ${paint(output, 'yellow', 'note:')} ${n}`);
  for (const d of databases) {
    if (d.unknown !== undefined) {
      output.out(`  ${d.binding}: ${paint(output, 'dim', left === 'the migrations' ? describeSchemaCheck({ status: 'unknown', reason: d.unknown }) : `cannot compare (${d.unknown})`)}`);
      continue;
    }
    if (d.matches) {
      output.out(`  ${d.binding}: ${paint(output, 'green', 'same schema')}`);
      continue;
    }
    output.out(`  ${d.binding}: ${paint(output, 'red', `${d.differences.length} difference${d.differences.length === 1 ? '' : 's'}`)}`);
    for (const x of d.differences) {
      const line = renderDifferenceBetween({ object: x.object, kind: x.kind, ...(x.left !== undefined ? { expected: x.left } : {}), ...(x.right !== undefined ? { live: x.right } : {}) }, left, right);
      const mark = x.right === undefined ? '-' : x.left === undefined ? '+' : '~';
      output.out(`    ${paint(output, x.right === undefined ? 'red' : x.left === undefined ? 'green' : 'yellow', mark)} ${line}`);
    }
  }
}
