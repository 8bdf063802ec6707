/**
 * Everything a promotion needs before the first environment is touched:
 * Worker builds (a build error is invalid input, exit 2), target credentials,
 * and the expected change of every stage.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import type { Problem } from '../problems.js';
import type { Workspace } from './load-workspace.js';
import { openCloudflareHandle, prepareCloudflare, type CloudflareContext } from '../targets/cloudflare/cloudflare-handle.js';
import type { EnvironmentHandle } from '../targets/environment-handle.js';
import { openLocalHandle } from '../targets/local/local-handle.js';
import { buildWorker, type WorkerBuild } from '../targets/local/worker-build.js';
import type { EngineSettings } from './engine-settings.js';
import { targetContext } from './open-environment.js';
import { PromotionSteps, type StepOptions } from './promotion-steps.js';

export async function prepareSteps(ws: Workspace, stages: readonly LoadedEnvironment[], opts: StepOptions, settings: EngineSettings) {
  const builds = new Map<string, WorkerBuild>();
  const problems: Problem[] = [];
  let cloudflare: CloudflareContext | undefined;
  let credentialsRefused = false;
  // Local builds run side by side (esbuild is quick, but three in a row add up).
  const localBuilds = await Promise.allSettled(
    stages.map(async (e) => (e.config.target === 'local' && e.config.worker ? ([e.name, await buildWorker(ws.project.root, e.config.worker)] as const) : undefined)),
  );
  for (const r of localBuilds) {
    if (r.status === 'fulfilled' && r.value) builds.set(r.value[0], r.value[1]);
    else if (r.status === 'rejected') {
      if (r.reason instanceof InvalidInputError) problems.push(...r.reason.problems);
      else throw r.reason;
    }
  }
  for (const e of stages) {
    try {
      if (e.config.target === 'local') {
        continue;
      } else {
        // Credentials are checked once: a refused token is one problem, not one per environment.
        if (credentialsRefused) continue;
        try {
          cloudflare ??= await prepareCloudflare(ws.project.root, e, settings.cloudflare, { maxRateWaitMs: opts.waitMs });
        } catch (err) {
          credentialsRefused = true;
          throw err;
        }
        const build = await cloudflare.build(e);
        if (build) builds.set(e.name, build);
      }
    } catch (err) {
      if (err instanceof InvalidInputError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  const open = (e: LoadedEnvironment): Promise<EnvironmentHandle> =>
    e.config.target === 'local'
      ? openLocalHandle(targetContext(ws, e, settings), e, builds.get(e.name), { lockWaitMs: opts.waitMs, runId: opts.runId, owner: settings.owner, ...(opts.onLockWait ? { onLockWait: opts.onLockWait } : {}) })
      : openCloudflareHandle(targetContext(ws, e, settings), e, cloudflare!, builds.get(e.name));
  const steps = new PromotionSteps(ws, open, (e) => builds.get(e.name)?.codeHash, opts, stages);
  return { steps, expected: stages.map((e) => steps.expectedChange(e)), close: () => cloudflare?.close() };
}
