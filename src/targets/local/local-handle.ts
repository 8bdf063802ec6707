/**
 * The local target behind the EnvironmentHandle seam: the environment's
 * Miniflare (serving its current Worker version), its version store and its
 * bookmarks.
 */
import { join } from 'node:path';
import type { LoadedEnvironment, LocalEnvironment } from '../../config/schema.js';
import type { StepDetail } from '../../events/run-events.js';
import type { EnvironmentHandle, TargetContext } from '../environment-handle.js';
import { BookmarkStore } from './bookmarks.js';
import { LocalEnvironmentRuntime, NOTHING_DEPLOYED, type ServedWorker } from './local-environment.js';
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

/** `serve: false` opens the databases only (status, plan): no Worker is started. */
export async function openLocalHandle(
  target: TargetContext,
  env: LoadedEnvironment,
  build: WorkerBuild | undefined,
  opts: { serve?: boolean; lockWaitMs?: number; runId?: string; owner?: string; readOnly?: boolean } = {},
): Promise<EnvironmentHandle> {
  const config = env.config as LocalEnvironment;
  const dir = environmentDir(target.root, env.name);
  const versions = new WorkerVersionStore(join(dir, 'workers'));
  const bookmarks = new BookmarkStore(join(dir, 'bookmarks'), env.name);
  const serving = config.worker && opts.serve !== false ? await servedWorkerOf(versions, await versions.current()) : undefined;
  const runtime = await LocalEnvironmentRuntime.start(target.root, env.name, config, {
    ...(serving ? { worker: serving } : {}),
    ...(opts.lockWaitMs !== undefined ? { lockWaitMs: opts.lockWaitMs } : {}),
    ...(opts.runId ? { runId: opts.runId } : {}),
    ...(opts.owner ? { owner: opts.owner } : {}),
    ...(opts.readOnly ? { readCopyWhenHeld: true } : {}),
  });
  const serve = async (version: WorkerVersion | undefined) => {
    const worker = await servedWorkerOf(versions, version);
    await runtime.serve(worker === 'nothing-deployed' ? NOTHING_DEPLOYED : worker);
  };
  return {
    env,
    databases: target.databases.map((d) => ({ ...d, conn: runtime.database(d.binding), scratch: async () => runtime.scratch(d.binding) })),
    timeTravel: {
      bookmark: async (runId) => {
        const meta = await bookmarks.take(runtime, config.databases.map((d) => d.binding), runId);
        return { id: meta.id, at: meta.takenAt };
      },
      restore: async (id) => ({ restoredAt: (await bookmarks.restore(runtime, id)).restoredAt }),
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
          },
        }
      : {}),
    baseUrl: () => runtime.url.toString(),
    ...(runtime.heldBy ? { note: `${runtime.heldBy}: read from a copy of its files` } : {}),
    dispose: () => runtime.dispose(),
  };
}
