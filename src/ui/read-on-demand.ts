/**
 * What the page asks for with a button: the health checks of one environment (its
 * current Worker served, the checks run, stopped again) and the plan for a target.
 * Neither changes an environment.
 */
import { withProjectSecrets, type Settings } from '../cli/settings.js';
import { planPromotion } from '../engine/promotion-plan.js';
import { classifyMigration } from '../migrations/expand-contract.js';
import { describeChunk, pendingChunks } from '../migrations/transport.js';
import { targetContext } from '../engine/open-environment.js';
import type { CheckResult } from '../events/run-events.js';
import type { Problem } from '../problems.js';
import { loadWorkspace } from '../engine/load-workspace.js';
import { selectEnvironment, stagesUpTo } from '../engine/select-environment.js';
import type { EnvironmentHandle } from '../targets/environment-handle.js';
import { openLocalHandle } from '../targets/local/local-handle.js';
import { openEnvironment } from '../engine/open-environment.js';
import { runHealthChecks } from '../verify/health-check.js';
import { observeQuickly } from './collect-dashboard.js';
import { describeBusy } from './environment-busy.js';

export type HealthReading = { environment: string; busy: string } | { environment: string; error: string } | { environment: string; baseUrl: string; ok: boolean; results: CheckResult[] };

export async function readHealth(root: string, name: string, base: Settings): Promise<HealthReading> {
  const ws = await loadWorkspace(root, base.vars);
  const settings = withProjectSecrets(base, ws.project);
  const env = selectEnvironment(ws.project, name, 'env');
  const busy = describeBusy(ws.project.root, env);
  if (busy) return { environment: name, busy };
  let handle: EnvironmentHandle;
  try {
    handle = env.config.target === 'local' ? await openLocalHandle(targetContext(ws, env, settings), env, undefined, { serve: true, lockWaitMs: 0, owner: settings.owner }) : (await openEnvironment(ws, env, settings)).handle;
  } catch (e) {
    return { environment: name, error: (e as Error).message.split('\n')[0] ?? 'could not open' };
  }
  try {
    const baseUrl = handle.baseUrl();
    if (!baseUrl) return { environment: name, error: 'no Worker URL for this environment' };
    const outcome = await runHealthChecks(env.config.health, baseUrl, { redact: settings.redact, signal: AbortSignal.timeout(60_000) });
    return { environment: name, baseUrl, ...outcome };
  } catch (e) {
    return { environment: name, error: (e as Error).message.split('\n')[0] ?? 'failed' };
  } finally {
    await handle.dispose();
  }
}

export interface PlanView {
  to: string;
  stages: {
    environment: string;
    bookmark: boolean;
    unavailable?: string;
    databases: {
      binding: string;
      /** Each pending migration with its expand/contract class (contract ones cannot ship beside the previous Worker). */
      pending: { name: string; class: 'expand' | 'contract'; reasons: string[] }[];
      drift: { name: string; reason: string }[];
      /** cloudflare: which transport each pending chunk takes (`via import (trigger): 0005_x.sql`). */
      transports: string[];
    }[];
  }[];
  warnings: Problem[];
  problems: Problem[];
}

export async function readPlan(root: string, to: string | undefined, settings: Settings): Promise<PlanView> {
  const ws = await loadWorkspace(root, settings.vars);
  const stages = stagesUpTo(ws.project, to);
  const observed = await Promise.all(stages.map((e) => observeQuickly(ws, e, { settings })));
  const problems: Problem[] = [];
  const view: PlanView['stages'] = observed.map((o, i) => {
    const environment = stages[i]!.name;
    const bookmark = ws.project.pipeline.stages.find((s) => s.environment === environment)?.bookmark ?? false;
    if ('unavailable' in o) return { environment, bookmark, unavailable: o.unavailable, databases: [] };
    // The same plan `promote plan` and `--to` use: drift, order, contract-in-rollout, missing rollback files.
    const stage = planPromotion(ws, [o], { rollback: ws.project.pipeline.rollback.database }).stages[0]!;
    problems.push(...stage.problems);
    return {
      environment,
      bookmark,
      databases: stage.databases.map((d) => ({
        binding: d.binding,
        pending: d.pending.map((m) => {
          const c = classifyMigration(m);
          return { name: m.name, class: c.class, reasons: c.reasons.map((r) => r.reason) };
        }),
        drift: d.drift,
        transports: (d.pending.length > 0 ? (pendingChunks(d.pending, d.observed.transport) ?? []) : []).map(describeChunk),
      })),
    };
  });
  return { to: stages.at(-1)?.name ?? to ?? '', stages: view, warnings: ws.warnings, problems };
}
