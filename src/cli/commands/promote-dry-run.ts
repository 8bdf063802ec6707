/**
 * `promote --to <env> --dry-run`: the plan the machine would follow, read
 * from the environments without touching them.
 */
import { rolloutOf, type LoadedEnvironment } from '../../config/schema.js';
import type { Workspace } from '../../engine/load-workspace.js';
import { observeAndClose } from '../../engine/observe.js';
import { planPromotion } from '../../engine/promotion-plan.js';
import type { CommandContext } from '../command-context.js';
import { withProjectSecrets } from '../settings.js';
import { paint, printProblems } from '../output.js';
import { describeShard, runsCanaries, type Shard } from '../../fleet/shard.js';

/** `shard`: a sharded run plans its target alone (the stages before ran in an earlier job). */
export async function printDryRun(ctx: CommandContext<'promote'>, ws: Workspace, stages: LoadedEnvironment[], shard?: Shard): Promise<number> {
  const settings = withProjectSecrets(ctx.settings, ws.project);
  const observed = await Promise.all(stages.map((env) => observeAndClose(ws, env, settings, { schema: true })));
  const planned = planPromotion(ws, observed, { rollback: ws.project.pipeline.rollback.database });
  const plan = planned.stages.map((s) => ({
    environment: s.environment,
    steps: s.steps,
    pending: s.databases.flatMap((d) => d.pending.map((m) => m.name)),
    seeds: { pending: s.databases.flatMap((d) => d.seeds.map((x) => x.name)), applied: s.databases.flatMap((d) => d.observed.seedPlan.applied.map((a) => a.name)) },
    checks: s.checks,
    ...(rolloutOf(s.env.config) ? { rollout: rolloutOf(s.env.config) } : {}),
    problems: s.problems,
    warnings: s.warnings,
  }));
  const policy = planned.rollback;
  const problems = planned.problems;
  if (ctx.output.json) {
    ctx.output.out(JSON.stringify({ type: 'plan', dryRun: true, pipeline: planned.pipeline, rollback: policy, stages: plan, ...(shard ? { shard } : {}) }));
  } else {
    ctx.output.out(paint(ctx.output, 'bold', `dry run: pipeline '${planned.pipeline}', nothing will be touched`));
    for (const [i, p] of plan.entries()) {
      ctx.output.out(`${i + 1}. ${p.environment}: ${p.steps.join(' -> ')}`);
      ctx.output.out(`   migrations: ${p.pending.length ? p.pending.join(', ') : 'none pending'}`);
      if (p.seeds.pending.length + p.seeds.applied.length > 0) {
        ctx.output.out(`   seeds: ${p.seeds.pending.length ? p.seeds.pending.join(', ') : 'none pending'}${p.seeds.applied.length ? ` (applied: ${p.seeds.applied.join(', ')})` : ''}`);
      }
      ctx.output.out(`   checks: ${p.checks.length ? p.checks.join('; ') : 'none'}`);
      if (p.rollout) ctx.output.out(`   rollout: ${p.rollout.steps.map((s) => `${s}%`).join(' -> ')}, each step's checks soaking ${p.rollout.soak} ms`);
    }
    if (shard) {
      ctx.output.out(
        `shard ${describeShard(shard)}: the tenants of each fleet whose id hashes to shard ${shard.index}${runsCanaries(shard) ? ', after every canary' : ', no canary (shard 1 runs them)'}; single databases and the Worker are left to an unsharded run`,
      );
    }
    ctx.output.out(`on failure: roll back (database: ${policy}; Worker: previous version), verify again, stop`);
    printProblems(ctx.output, [...problems, ...planned.stages.flatMap((s) => s.warnings)]);
  }
  return problems.some((p) => p.severity === 'error') ? 2 : 0;
}
