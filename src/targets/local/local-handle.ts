/**
 * The local target behind the EnvironmentHandle seam: the environment's
 * Miniflare (serving its current Worker version), its version store and its
 * bookmarks.
 */
import { join } from 'node:path';
import type { LoadedEnvironment, LocalEnvironment } from '../../config/schema.js';
import type { StepDetail } from '../../events/run-events.js';
import type { EnvironmentHandle, HandleFleet, TargetContext, TimeTravel } from '../environment-handle.js';
import { isFleet } from '../../config/environment-databases.js';
import { BookmarkStore } from './bookmarks.js';
import { LocalEnvironmentRuntime, NOTHING_DEPLOYED, tenantKey, type Served, type ServedWorker } from './local-environment.js';
import type { WorkerBuild } from './worker-build.js';
import { WorkerVersionStore, type WorkerVersion } from './worker-versions.js';

export function environmentDir(root: string, name: string): string {
  return join(root, '.promote', 'envs', name);
}

export async function servedWorkerOf(store: WorkerVersionStore, version: WorkerVersion | undefined): Promise<ServedWorker | 'nothing-deployed'> {
  if (!version) return 'nothing-deployed';
  return {
    code: await store.code(version.id),
    compatibilityDate: version.compatibilityDate,
    compatibilityFlags: version.compatibilityFlags,
    vars: version.vars,
  };
}

/**
 * What the version store says serves now: one version, or two behind the router (a rollout).
 * The override header names the environment, the local stand-in for a script name.
 */
export async function servedNow(store: WorkerVersionStore, scriptName: string): Promise<Served | 'nothing-deployed'> {
  const split = await store.currentSplit();
  if (split.length < 2) return servedWorkerOf(store, await store.current());
  const versions = [];
  for (const v of split) versions.push({ id: v.versionId, percentage: v.percentage, worker: (await servedWorkerOf(store, await store.get(v.versionId))) as ServedWorker });
  return { scriptName, versions };
}

/**
 * A rollout environment about to get a new build starts with the router in front already, the new
 * build loaded in a slot that serves nothing and cannot be reached (gone): the same traffic as the
 * current version alone, and the rollout's first split then needs no Miniflare restart.
 */
async function withRolloutSlot(store: WorkerVersionStore, scriptName: string, now: Served | 'nothing-deployed', build: WorkerBuild): Promise<Served | 'nothing-deployed'> {
  const current = await store.current();
  const split = await store.currentSplit();
  if (now === 'nothing-deployed' || !current || split.length !== 1) return now;
  if (current.codeHash === build.codeHash && current.configHash === build.configHash) return now;
  const pending: ServedWorker = { code: build.code, compatibilityDate: build.compatibilityDate, compatibilityFlags: build.compatibilityFlags, vars: build.vars };
  return { scriptName, versions: [{ id: 'pending', worker: pending, percentage: 0, gone: true }, { id: current.id, worker: now as ServedWorker, percentage: 100 }] };
}

/** `serve: false` opens the databases only (status, plan): no Worker is started. */
export async function openLocalHandle(
  target: TargetContext,
  env: LoadedEnvironment,
  build: WorkerBuild | undefined,
  opts: { serve?: boolean; lockWaitMs?: number; runId?: string; owner?: string; readOnly?: boolean; onLockWait?: (message: string) => void } = {},
): Promise<EnvironmentHandle> {
  const config = env.config as LocalEnvironment;
  const dir = environmentDir(target.root, env.name);
  const versions = new WorkerVersionStore(join(dir, 'workers'));
  const bookmarks = new BookmarkStore(join(dir, 'bookmarks'), env.name);
  const now = config.worker && opts.serve !== false ? await servedNow(versions, env.name) : undefined;
  const serving = now && config.worker?.rollout && build ? await withRolloutSlot(versions, env.name, now, build) : now;
  const runtime = await LocalEnvironmentRuntime.start(target.root, env.name, config, {
    ...(serving ? { worker: serving } : {}),
    ...(opts.lockWaitMs !== undefined ? { lockWaitMs: opts.lockWaitMs } : {}),
    ...(opts.onLockWait ? { onLockWait: opts.onLockWait } : {}),
    ...(opts.runId ? { runId: opts.runId } : {}),
    ...(opts.owner ? { owner: opts.owner } : {}),
    ...(opts.readOnly ? { readCopyWhenHeld: true } : {}),
  });
  const serve = async (version: WorkerVersion | undefined) => {
    const worker = await servedWorkerOf(versions, version);
    await runtime.serve(worker === 'nothing-deployed' ? NOTHING_DEPLOYED : worker);
  };
  const serveCurrent = async () => {
    const worker = await servedNow(versions, env.name);
    await runtime.serve(worker === 'nothing-deployed' ? NOTHING_DEPLOYED : worker);
  };
  const fleets = target.databases.filter(isFleet).map((f): HandleFleet => {
    const tenants = runtime.fleetTenants.get(f.binding) ?? [];
    const known = new Set(tenants);
    return {
      ...f,
      tenants: async () => [...tenants],
      open: async (tenant) => {
        if (!known.has(tenant)) throw new Error(`${env.name}/${f.binding}: ${tenant} is not a tenant of ${f.fleet.source}`);
        return { tenant, conn: runtime.tenant(f.binding, tenant), scratch: async () => runtime.scratch(f.binding) };
      },
      timeTravel: (tenant) => tenantTimeTravel(new BookmarkStore(join(dir, 'bookmarks', 'fleets', f.binding, tenant), `${env.name}/${f.binding}[${tenant}]`), runtime, tenantKey(f.binding, tenant)),
    };
  });
  return {
    env,
    databases: target.databases.filter((d) => !isFleet(d)).map((d) => ({ ...d, conn: runtime.database(d.binding), scratch: async () => runtime.scratch(d.binding) })),
    ...(fleets.length > 0 ? { fleets } : {}),
    timeTravel: {
      bookmark: async (runId) => {
        // Fleet tenants are bookmarked one by one as they are migrated (HandleFleet.timeTravel), not here.
        const meta = await bookmarks.take(runtime, config.databases.filter((d) => !d.fleet).map((d) => d.binding), runId);
        return { id: meta.id, at: meta.takenAt };
      },
      restore: async (id) => ({ restoredAt: (await bookmarks.restore(runtime, id)).restoredAt }),
      latest: async () => {
        const newest = (await bookmarks.list()).at(-1);
        return newest ? { id: newest.id, at: newest.takenAt } : undefined;
      },
    },
    ...(config.worker && build
      ? {
          worker: {
            deploy: async (runId: string) => {
              const { version, previous } = await versions.deploy(build, { runId, message: `promote ${runId}` });
              await serve(version);
              return { version: version.id, ...(previous ? { previousVersion: previous.id } : {}) };
            },
            rollbackRun: async (runId: string): Promise<StepDetail> => {
              const deployments = await versions.deployments();
              const first = deployments.findIndex((d) => d.runId === runId);
              if (first < 0) return {};
              const before = deployments[first - 1];
              if (!before) {
                // Nothing to go back to: the failed version stays the one deployed (as on Cloudflare), and says so.
                const current = await versions.current();
                await serve(current);
                return { message: `the Worker had no earlier version to go back to: ${current ? `version ${current.id}, this run's,` : "this run's version"} still serves` };
              }
              const version = await versions.rollbackTo(before.versionId, { runId, message: `rollback by ${runId}` });
              await serve(version);
              return { workerVersion: version.id };
            },
            servingCodeHash: async () => (await versions.current())?.codeHash,
            rollout: {
              scriptName: env.name,
              split: async () => ({ versions: (await versions.currentSplit()).map((v) => ({ id: v.versionId, percentage: v.percentage })) }),
              upload: async (runId: string) => ({ version: (await versions.upload(build, { runId })).id }),
              deploySplit: async ({ newVersion, oldVersion, percentage, runId }) => {
                await versions.deploySplit(newVersion, oldVersion, percentage, { runId, message: `promote ${runId} at ${percentage}%` });
                const now = runtime.serving;
                // The last step keeps the router (new at 100%, old at 0%) for the rest of this process:
                // the traffic is the same as the new version alone, without a restart. The next start serves it alone.
                if (percentage === 100 && oldVersion && now && 'versions' in now && now.versions[0]?.id === newVersion) {
                  await runtime.serve({ ...now, versions: now.versions.map((v) => (v.id === newVersion ? { ...v, percentage: 100 } : { ...v, percentage: 0, gone: true })) });
                  return;
                }
                await serveCurrent();
              },
            },
          },
        }
      : {}),
    ...(config.worker
      ? {
          workerRollback: {
            rollbackToPrevious: async (message: string) => {
              const current = await versions.current();
              const previous = current ? await versions.previousOf(current.id) : undefined;
              if (!current || !previous) return current ? { from: current.id } : {};
              const version = await versions.rollbackTo(previous.id, { runId: opts.runId ?? 'manual', message });
              await serve(version);
              return { from: current.id, to: version.id };
            },
          },
        }
      : {}),
    baseUrl: () => runtime.url.toString(),
    ...(runtime.heldBy ? { note: `${runtime.heldBy}: read from a copy of its files` } : {}),
    dispose: () => runtime.dispose(),
  };
}

/** A fleet tenant's own bookmarks: snapshots of that one database, in a store of its own. */
function tenantTimeTravel(store: BookmarkStore, runtime: LocalEnvironmentRuntime, key: string): TimeTravel {
  return {
    bookmark: async (runId) => {
      const meta = await store.take(runtime, [key], runId);
      return { id: meta.id, at: meta.takenAt };
    },
    restore: async (id) => ({ restoredAt: (await store.restore(runtime, id)).restoredAt }),
    latest: async () => {
      const newest = (await store.list()).at(-1);
      return newest ? { id: newest.id, at: newest.takenAt } : undefined;
    },
  };
}
