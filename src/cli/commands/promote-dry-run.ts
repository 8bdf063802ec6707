/**
 * `promote --to <env> --dry-run`: the plan the machine would follow, read
 * from the environments without touching them.
 */
import { rolloutOf, type LoadedEnvironment } from '../../config/schema.js';
import { contractRefusals } from '../../project/contract-refusals.js';
import type { Workspace } from '../../project/load-workspace.js';
import { observeAndClose } from '../../project/observe.js';
import { migrationRefusals } from '../../project/refusals.js';
import type { CommandContext } from '../main.js';
import { paint, printProblems } from '../output.js';

export async function printDryRun(ctx: CommandContext, ws: Workspace, stages: LoadedEnvironment[]): Promise<number> {
  const policy = ws.project.pipeline.rollback.database;
  const plan = [];
  for (const env of stages) {
    const observed = await observeAndClose(ws, env, ctx.env);
    const bookmark = ws.project.pipeline.stages.find((s) => s.environment === env.name)?.bookmark ?? false;
    plan.push({
      environment: env.name,
      steps: ['preflight', 'lock', ...(bookmark ? ['bookmark'] : []), 'migrate', 'deploy', 'verify', 'unlock'],
      pending: observed.databases.flatMap((d) => d.plan.pending.map((m) => m.name)),
      checks: env.config.health.map((h) => `${h.method} ${h.url} -> ${h.expect.status}`),
      ...(rolloutOf(env.config) ? { rollout: rolloutOf(env.config) } : {}),
      problems: [...migrationRefusals(observed), ...contractRefusals(observed)],
    });
  }
  const problems = plan.flatMap((p) => p.problems);
  if (ctx.output.json) {
    ctx.output.out(JSON.stringify({ type: 'plan', dryRun: true, pipeline: ws.project.pipeline.name, rollback: policy, stages: plan }));
  } else {
    ctx.output.out(paint(ctx.output, 'bold', `dry run: pipeline '${ws.project.pipeline.name}', nothing will be touched`));
    for (const [i, p] of plan.entries()) {
      ctx.output.out(`${i + 1}. ${p.environment}: ${p.steps.join(' -> ')}`);
      ctx.output.out(`   migrations: ${p.pending.length ? p.pending.join(', ') : 'none pending'}`);
      ctx.output.out(`   checks: ${p.checks.length ? p.checks.join('; ') : 'none'}`);
      if (p.rollout) ctx.output.out(`   rollout: ${p.rollout.steps.map((s) => `${s}%`).join(' -> ')}, each step's checks soaking ${p.rollout.soak} ms`);
    }
    ctx.output.out(`on failure: roll back (database: ${policy}; Worker: previous version), verify again, stop`);
    printProblems(ctx.output, problems);
  }
  return problems.length > 0 ? 2 : 0;
}
