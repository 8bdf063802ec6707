import { loadWorkspace } from '../../project/load-workspace.js';
import { observeAndClose } from '../../project/observe.js';
import { migrationRefusals } from '../../project/refusals.js';
import { stagesUpTo } from '../../project/select-environment.js';
import type { CommandContext } from '../main.js';
import { paint, printProblems } from '../output.js';

export async function run({ root, output, env, values }: CommandContext): Promise<number> {
  const ws = await loadWorkspace(root, env);
  const stages = stagesUpTo(ws.project, values.to === undefined ? undefined : String(values.to));
  const observed = await Promise.all(
    stages.map(async (e) => {
      return observeAndClose(ws, e, env);
    }),
  );
  const refusals = observed.flatMap(migrationRefusals);
  const plan = {
    type: 'plan',
    pipeline: ws.project.pipeline.name,
    stages: observed.map((o) => ({
      environment: o.env.name,
      bookmark: ws.project.pipeline.stages.find((s) => s.environment === o.env.name)?.bookmark ?? false,
      databases: o.databases.map((d) => ({
        binding: d.binding,
        pending: d.plan.pending.map((m) => m.name),
        drift: d.plan.drift,
      })),
    })),
    warnings: ws.warnings,
    problems: refusals,
  };
  if (output.json) {
    output.out(JSON.stringify(plan));
  } else {
    for (const [i, s] of plan.stages.entries()) {
      output.out(paint(output, 'bold', `${i + 1}. ${s.environment}${s.bookmark ? ' (bookmark before migrating)' : ''}`));
      for (const d of s.databases) {
        if (d.pending.length === 0) output.out(`   ${d.binding}: up to date`);
        else output.out(`   ${d.binding}: ${d.pending.length} to apply\n${d.pending.map((n) => `     + ${n}`).join('\n')}`);
      }
    }
    printProblems(output, [...ws.warnings, ...refusals]);
  }
  return refusals.length > 0 ? 2 : 0;
}
