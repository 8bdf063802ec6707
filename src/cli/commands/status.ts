import type { LoadedEnvironment } from '../../config/schema.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { observeAndClose, type ObservedEnvironment } from '../../engine/observe.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import type { CommandContext } from '../command-context.js';
import { paint, type Output } from '../output.js';

export async function run({ root, output, env, settings, values }: CommandContext): Promise<number> {
  const ws = await loadWorkspace(root, env);
  const envs: LoadedEnvironment[] = values.env
    ? [selectEnvironment(ws.project, String(values.env), '--env')]
    : orderedEnvironments(ws.project.pipeline.stages.map((s) => s.environment), [...ws.project.environments.values()]);
  const observed = await Promise.all(
    envs.map(async (e) => {
      return observeAndClose(ws, e, settings);
    }),
  );
  if (output.json) output.out(JSON.stringify(statusJson(observed)));
  else renderStatus(output, observed);
  return 0;
}

/** Pipeline order first, then environments no stage uses. */
function orderedEnvironments(order: string[], all: LoadedEnvironment[]): LoadedEnvironment[] {
  const rank = (e: LoadedEnvironment) => (order.includes(e.name) ? order.indexOf(e.name) : order.length);
  return [...all].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export function statusJson(observed: readonly ObservedEnvironment[]) {
  return {
    environments: observed.map((o) => ({
      name: o.env.name,
      target: o.env.config.target,
      ...(o.note ? { note: o.note } : {}),
      databases: o.databases.map((d) => ({
        binding: d.binding,
        applied: d.plan.applied.map((a) => a.name),
        pending: d.plan.pending.map((m) => m.name),
        drift: d.plan.drift.map((x) => ({ name: x.name, reason: x.reason })),
        unverified: d.plan.adoptable.map((m) => m.name),
        outOfOrder: d.plan.outOfOrder.map((x) => x.name),
      })),
    })),
  };
}

function renderStatus(output: Output, observed: readonly ObservedEnvironment[]): void {
  for (const o of observed) {
    output.out(paint(output, 'bold', `${o.env.name} (${o.env.config.target})`));
    if (o.note) output.out(`  ${paint(output, 'yellow', 'note:')} ${o.note}`);
    if (o.databases.length === 0) output.out('  no databases');
    for (const d of o.databases) {
      const { applied, pending, drift, adoptable } = d.plan;
      output.out(`  ${d.binding}: ${applied.length} applied, ${pending.length} pending${drift.length ? `, ${drift.length} drift` : ''}`);
      const driftBy = new Map(drift.map((x) => [x.name, x.reason]));
      const unverified = new Set(adoptable.map((m) => m.name));
      for (const a of applied) {
        const reason = driftBy.get(a.name);
        const note = reason
          ? paint(output, 'red', `drift: ${reason}`)
          : unverified.has(a.name)
            ? paint(output, 'dim', 'applied by another tool; checksum recorded on next migrate')
            : paint(output, 'dim', `${a.appliedAt}${a.durationMs !== undefined ? `, ${a.durationMs} ms` : ''}`);
        output.out(`    ${reason ? paint(output, 'red', '!') : paint(output, 'green', '✓')} ${a.name}  ${note}`);
      }
      for (const m of pending) output.out(`    ${paint(output, 'yellow', '•')} ${m.name}  ${paint(output, 'yellow', 'pending')}`);
    }
  }
}
