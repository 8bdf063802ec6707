/**
 * The I/O behind the page: reads the workspace, every environment (through the same
 * observeAndClose that `promote status` uses), the local Worker deployment history
 * and the run journals, then hands them to the pure model. An environment that is
 * busy or slow is reported as such; the page never waits on it for long.
 */
import { withProjectSecrets, type Settings } from '../cli/settings.js';
import { basename, join } from 'node:path';
import type { LoadedEnvironment } from '../config/schema.js';
import { loadWorkspace, type Workspace } from '../engine/load-workspace.js';
import { observeAndClose, type ObservedEnvironment } from '../engine/observe.js';
import { environmentDir } from '../targets/local/local-handle.js';
import { WorkerVersionStore } from '../targets/local/worker-versions.js';
import { buildDashboard, type DashboardInput, type DashboardModel } from './dashboard-model.js';
import { describeBusy } from './environment-busy.js';
import { RunViewCache } from './run-cache.js';

export interface CollectOptions {
  /** The CLI's settings: `${VAR}` values, the redactor, the lease owner, cloudflare credentials. */
  settings: Settings;
  /** Give up on one environment after this long (default 20 s: a cold Miniflare start on a busy machine takes seconds) and say so. */
  readTimeoutMs?: number;
  /** Newest runs shown (default 200). */
  runLimit?: number;
  /** Runs parsed on an earlier load (the server keeps one). */
  cache?: RunViewCache;
}

export async function collectDashboard(root: string, opts: CollectOptions): Promise<DashboardModel> {
  const ws = await loadWorkspace(root, opts.settings.vars);
  const envs = orderedEnvironments(ws);
  const readings = await Promise.all(envs.map((e) => readEnvironment(ws, e, opts)));
  const input: DashboardInput = {
    pipeline: ws.project.pipeline.name,
    project: basename(ws.project.root),
    stages: ws.project.pipeline.stages.map((s) => s.environment),
    readings,
    runs: (opts.cache ?? new RunViewCache(ws.project.root)).views(opts.runLimit ?? 200),
    warnings: ws.warnings,
    now: Date.now(),
  };
  return buildDashboard(input);
}

/** Pipeline order first, then environments no stage uses (as `promote status` lists them). */
export function orderedEnvironments(ws: Workspace): LoadedEnvironment[] {
  const order = ws.project.pipeline.stages.map((s) => s.environment);
  const rank = (e: LoadedEnvironment) => (order.includes(e.name) ? order.indexOf(e.name) : order.length);
  return [...ws.project.environments.values()].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export async function readEnvironment(ws: Workspace, env: LoadedEnvironment, opts: CollectOptions): Promise<DashboardInput['readings'][number]> {
  const base = {
    name: env.name,
    target: env.config.target,
    checks: env.config.health.map((c) => ({ name: c.name ?? `${c.method} ${c.url}`, url: c.url })),
    ...(await readServing(ws, env)),
  };
  const observed = await observeQuickly(ws, env, opts);
  if ('unavailable' in observed) return { ...base, unavailable: observed.unavailable };
  return { ...base, databases: observed.databases };
}

/** Observes unless another process holds the environment; gives up after the timeout. */
export async function observeQuickly(ws: Workspace, env: LoadedEnvironment, opts: CollectOptions): Promise<ObservedEnvironment | { unavailable: string }> {
  const busy = describeBusy(ws.project.root, env);
  if (busy) return { unavailable: busy };
  const timeoutMs = opts.readTimeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const reading = observeAndClose(ws, env, withProjectSecrets(opts.settings, ws.project));
  // The read may still finish after we gave up; it closes itself, its result is dropped.
  reading.catch(() => undefined);
  try {
    return await Promise.race([
      reading,
      new Promise<{ unavailable: string }>((resolve) => {
        timer = setTimeout(() => resolve({ unavailable: describeBusy(ws.project.root, env) ?? `not read: no answer within ${timeoutMs} ms` }), timeoutMs);
      }),
    ]);
  } catch (e) {
    return { unavailable: `could not read: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Local environments keep their Worker history in files: read them without starting anything. */
async function readServing(ws: Workspace, env: LoadedEnvironment): Promise<{ serving?: { current?: string; previous?: string } }> {
  if (env.config.target !== 'local' || !env.config.worker) return {};
  try {
    const store = new WorkerVersionStore(join(environmentDir(ws.project.root, env.name), 'workers'));
    const current = await store.current();
    if (!current) return {};
    const previous = await store.previousOf(current.id);
    return { serving: { current: current.id, ...(previous ? { previous: previous.id } : {}) } };
  } catch {
    return {};
  }
}
