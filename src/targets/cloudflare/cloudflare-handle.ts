/**
 * The cloudflare target behind the EnvironmentHandle seam: D1 over REST,
 * Time Travel over REST, the Worker through wrangler, and a scratch database
 * in the local engine for preflight. Ids and names come from the user's
 * wrangler config (env.<name>), never from our files.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { request } from 'undici';
import { join } from 'node:path';
import type { CloudflareEnvironment, LoadedEnvironment } from '../../config/schema.js';
import { InvalidInputError, RunError } from '../../errors.js';
import type { StepDetail } from '../../events/run-events.js';
import { d1DatabasesOf, readWranglerConfig, type WranglerConfig } from '../../wrangler/wrangler-config.js';
import type { EnvironmentHandle, HandleDatabase, TargetContext } from '../environment-handle.js';
import { LocalEnvironmentRuntime } from '../local/local-environment.js';
import { buildWorker, canonicalJson, type WorkerBuild } from '../local/worker-build.js';
import { CloudflareApi, apiOptionsOf, requireCredentials, type CloudflareSettings } from './cloudflare-api.js';
import { D1RestConnection } from './d1-rest.js';
import { openCloudflareFleet } from './cloudflare-fleet.js';
import { isFleet } from '../../config/environment-databases.js';
import { RestoreBudget } from './restore-budget.js';
import { WranglerCli } from './wrangler-cli.js';
import { WorkersApi, buildTag, promoteMessage, servedBuildOf } from './workers-api.js';

/** Requests one `wrangler deploy` / `wrangler rollback` sends, reserved from the run's rate limit (counted against the fake). */
const WRANGLER_DEPLOY_REQUESTS = 10;
const WRANGLER_ROLLBACK_REQUESTS = 5;

export interface CloudflareContext {
  api: CloudflareApi;
  wranglerConfig(env: LoadedEnvironment): WranglerConfig;
  /** Our esbuild of the Worker's main: the identity of the code, for the staging-first gate. */
  build(env: LoadedEnvironment): Promise<WorkerBuild | undefined>;
  /** What a wrangler child inherits besides the credentials. */
  childEnv: Readonly<Record<string, string | undefined>>;
  close(): Promise<void>;
}

function cf(env: LoadedEnvironment): CloudflareEnvironment {
  return env.config as CloudflareEnvironment;
}

/** Credentials are checked before anything runs: exit 2 with what to set. */
/**
 * `maxRateWaitMs`: how long a request may wait for the rate limit's window
 * (a promotion's --wait); default: as long as it takes, so a run waits rather than fails.
 */
export async function prepareCloudflare(root: string, first: LoadedEnvironment, settings: CloudflareSettings, opts: { maxRateWaitMs?: number } = {}): Promise<CloudflareContext> {
  const api = new CloudflareApi(requireCredentials(settings, first.file), { ...apiOptionsOf(settings), ...(opts.maxRateWaitMs ? { maxRateWaitMs: opts.maxRateWaitMs } : {}) });
  await api.verifyToken(first.file);
  const wranglerConfig = (env: LoadedEnvironment): WranglerConfig => {
    const config = readWranglerConfig(root, cf(env).wrangler.config);
    if (!config) {
      throw new InvalidInputError([{ severity: 'error', code: 'E_WRANGLER_CONFIG_MISSING', file: env.file, message: 'no wrangler config found', hint: 'create wrangler.jsonc or set wrangler.config' }]);
    }
    const block = config.env?.[cf(env).wrangler.env];
    if (!block) {
      throw new InvalidInputError([
        {
          severity: 'error',
          code: 'E_WRANGLER_ENV_MISSING',
          file: config.file,
          message: `${config.file} has no env.${cf(env).wrangler.env} (named by ${env.file})`,
          hint: `add an "env": { "${cf(env).wrangler.env}": { ... } } block with its d1_databases, or fix wrangler.env in ${env.file}`,
        },
      ]);
    }
    return config;
  };
  return {
    api,
    wranglerConfig,
    build: async (env) => {
      const config = wranglerConfig(env);
      const block = config.env?.[cf(env).wrangler.env] ?? {};
      const main = (block.main as string | undefined) ?? config.main;
      if (!main) return undefined;
      const build = await buildWorker(root, { main });
      // What wrangler deploys is the code and the environment's config (vars, bindings):
      // a change to either is a new build for the staging-first gate and for idempotency.
      const { env: _envs, file: _file, ...top } = config;
      const identity = createHash('sha256').update(build.codeHash).update(canonicalJson({ top, block })).digest('hex');
      return { ...build, codeHash: `sha256:${identity}` };
    },
    childEnv: settings.childEnv,
    close: () => api.close(),
  };
}

export async function openCloudflareHandle(
  target: TargetContext,
  env: LoadedEnvironment,
  ctx: CloudflareContext,
  build: WorkerBuild | undefined,
): Promise<EnvironmentHandle> {
  const config = ctx.wranglerConfig(env);
  const wranglerEnv = cf(env).wrangler.env;
  const byBinding = new Map(d1DatabasesOf(config, wranglerEnv).map((d) => [d.binding, d]));
  let scratchRuntime: Promise<LocalEnvironmentRuntime> | undefined;
  // The scratch engine belongs to this process alone: its own folder, removed when done.
  const scratchState = join('.promote', 'scratch', `${env.name}-${process.pid}`);
  const scratch = () =>
    (scratchRuntime ??= removeDeadScratch(join(target.root, '.promote', 'scratch'), env.name).then(() => LocalEnvironmentRuntime.start(target.root, `${env.name}-preflight`, {
      target: 'local',
      state: scratchState,
      databases: target.databases.map((d) => ({ binding: d.binding, migrations: d.migrationsDir, migrations_table: d.ledgerTable })),
      health: [],
    })));
  const restores = RestoreBudget.inProject(target.root);
  // A fleet binding's tenants are not in the wrangler config: they come from fleet.source or fleet.match.
  const fleets = target.databases.filter(isFleet).map((f) =>
    openCloudflareFleet({ api: ctx.api, root: target.root, environment: env.name, envFile: env.file, scratch: async () => (await scratch()).scratch(f.binding), restores }, f),
  );
  const databases: HandleDatabase[] = target.databases.filter((d) => !isFleet(d)).map((d) => {
    const id = byBinding.get(d.binding)?.database_id;
    if (!id) {
      throw new InvalidInputError([
        { severity: 'error', code: 'E_WRANGLER_DATABASE_ID', file: config.file, message: `env.${wranglerEnv}.d1_databases binding ${d.binding} has no database_id`, hint: 'copy the database id from `wrangler d1 list` into the wrangler config' },
      ]);
    }
    return { ...d, conn: new D1RestConnection(ctx.api, id, `${env.name}/${d.binding}`), databaseId: id, scratch: async () => (await scratch()).scratch(d.binding) };
  });
  const scriptName = (config.env?.[wranglerEnv]?.name as string | undefined) ?? `${config.name}-${wranglerEnv}`;
  const workers = new WorkersApi(ctx.api, scriptName);
  const wrangler = new WranglerCli(target.root, ctx.api.credentials, cf(env).wrangler.config, target.redact, ctx.childEnv);

  return {
    env,
    databases,
    ...(fleets.length > 0 ? { fleets } : {}),
    timeTravel: {
      bookmark: async (_runId, signal) => {
        const at = Date.now();
        const ids = await Promise.all(databases.map(async (d) => [d.binding, await timeTravelBookmark(ctx.api, d.conn as D1RestConnection, signal)] as const));
        return { id: ids.length === 1 ? ids[0]![1] : ids.map(([b, id]) => `${b}=${id}`).join(','), at };
      },
      restore: async (id, signal) => {
        // An environment of fleets only: its bookmark names no database (tenants are restored one by one).
        if (databases.length === 0 || id === '') return { restoredAt: Date.now() };
        const parts = id.includes('=') ? new Map(id.split(',').map((p) => p.split('=') as [string, string])) : new Map([[databases[0]!.binding, id]]);
        const targets = databases.filter((d) => parts.has(d.binding));
        // Every database must have a restore left before the first one is restored.
        await restores.check(targets.map((d) => ({ id: (d.conn as D1RestConnection).databaseId, label: d.conn.label })));
        for (const d of targets) {
          await restoreBookmark(ctx.api, d.conn as D1RestConnection, parts.get(d.binding)!, signal);
          await restores.record((d.conn as D1RestConnection).databaseId);
        }
        return { restoredAt: Date.now() };
      },
    },
    ...(build
      ? {
          worker: {
            deploy: async (runId: string, signal?: AbortSignal) => {
              const current = await workers.serving();
              // Idempotent: the same build already serving is not deployed again (a resumed run).
              if (current && servedBuildOf(current.annotations, build.codeHash) === build.codeHash) {
                const previous = await workers.previousOf(current.id);
                return { version: current.id, ...(previous ? { previousVersion: previous } : {}) };
              }
              // wrangler's own requests count against the run's rate limit too (a deploy takes about ten).
              await ctx.api.budget.take(WRANGLER_DEPLOY_REQUESTS, signal);
              const { versionId } = await wrangler.deploy(wranglerEnv, { message: promoteMessage(runId, build.codeHash), tag: buildTag(build.codeHash) }, signal);
              return { version: versionId, ...(current ? { previousVersion: current.id } : {}) };
            },
            rollbackRun: async (runId: string): Promise<StepDetail> => {
              const target = await workers.versionBefore(runId);
              if (!target) {
                const current = await workers.current();
                return current?.message?.startsWith(`promote ${runId} `) ? { message: `the Worker had no earlier version to go back to: version ${current.versionId}, this run's, still serves` } : {};
              }
              const current = await workers.current();
              // Done only when the target serves alone: a rollout's split still sends traffic to the new version.
              if (current?.versions.length === 1 && current.versionId === target) return { workerVersion: target };
              try {
                await ctx.api.budget.take(WRANGLER_ROLLBACK_REQUESTS);
                await wrangler.rollback(wranglerEnv, target, `promote rollback of ${runId}`);
              } catch (e) {
                // The deployments API does the same thing when the wrangler binary cannot.
                if (!(e instanceof RunError)) throw e;
                await workers.deploy(target, `promote rollback of ${runId}`);
              }
              return { workerVersion: target };
            },
            servingCodeHash: async () => servedBuildOf((await workers.serving())?.annotations, build.codeHash),
            rollout: {
              scriptName,
              split: async () => ({ versions: (await workers.current())?.versions ?? [] }),
              upload: async (runId: string, changeId: string, signal?: AbortSignal) => {
                // A version of this build uploaded before (a resumed run) is deployed rather than uploaded again.
                const existing = await workers.versionOfBuild(build.codeHash);
                if (existing) return { version: existing };
                const { versionId } = await wrangler.versionsUpload(wranglerEnv, changeId, promoteMessage(runId, build.codeHash), signal);
                return { version: versionId };
              },
              deploySplit: async ({ newVersion, oldVersion, percentage, runId }, signal?: AbortSignal) => {
                const versions = oldVersion && percentage < 100 ? [{ id: newVersion, percentage }, { id: oldVersion, percentage: 100 - percentage }] : [{ id: newVersion, percentage: 100 }];
                await wrangler.versionsDeploy(wranglerEnv, versions, promoteMessage(runId, build.codeHash), signal);
              },
            },
          },
        }
      : {}),
    exportSql: (d: HandleDatabase, signal?: AbortSignal) => exportDatabase(ctx.api, d, signal),
    workerRollback: {
      rollbackToPrevious: async (message: string, signal?: AbortSignal) => {
        const current = await workers.current();
        const previous = current ? await workers.previousOf(current.versionId) : undefined;
        if (!current || !previous) return current ? { from: current.versionId } : {};
        try {
          await wrangler.rollback(wranglerEnv, previous, message, signal);
        } catch (e) {
          // The deployments API does the same thing when the wrangler binary cannot.
          if (!(e instanceof RunError)) throw e;
          await workers.deploy(previous, message);
        }
        return { from: current.versionId, to: previous };
      },
    },
    baseUrl: () => cf(env).worker?.url,
    dispose: async () => {
      if (scratchRuntime) await (await scratchRuntime).dispose();
      await rm(join(target.root, scratchState), { recursive: true, force: true });
    },
  };
}

async function timeTravelBookmark(api: CloudflareApi, conn: D1RestConnection, signal?: AbortSignal): Promise<string> {
  const result = await api.call<{ bookmark: string }>('GET', `${conn.path}/time_travel/bookmark`, { safe: true, ...(signal ? { signal } : {}) });
  return result.bookmark;
}

/** Restoring to the same bookmark twice ends in the same state, so it is safe to repeat. */
async function restoreBookmark(api: CloudflareApi, conn: D1RestConnection, bookmark: string, signal?: AbortSignal): Promise<void> {
  await api.call('POST', `${conn.path}/time_travel/restore`, { query: { bookmark }, safe: true, ...(signal ? { signal } : {}) });
}

interface ExportPoll {
  status?: 'active' | 'complete' | 'error';
  at_bookmark?: string;
  error?: string;
  result?: { filename?: string; signed_url?: string };
}

/** One database through D1's export API (polling protocol): the SQL it returns, downloaded from the signed URL. */
async function exportDatabase(api: CloudflareApi, d: HandleDatabase, signal?: AbortSignal): Promise<string> {
  const path = `${(d.conn as D1RestConnection).path}/export`;
  let bookmark: string | undefined;
  for (let poll = 0; ; poll++) {
    const r = await api.call<ExportPoll>('POST', path, {
      body: { output_format: 'polling', dump_options: { no_data: false, no_schema: false, tables: [] }, ...(bookmark ? { current_bookmark: bookmark } : {}) },
      safe: true,
      ...(signal ? { signal } : {}),
    });
    if (r.status === 'error') throw new RunError(`backup of ${d.conn.label} failed: ${r.error ?? 'export error'}`, 'run again, or set backup: false to migrate without a backup');
    if (r.status === 'complete' && r.result?.signed_url) {
      const res = await request(r.result.signed_url, { method: 'GET', ...(signal ? { signal } : {}) });
      if (res.statusCode !== 200) throw new RunError(`backup of ${d.conn.label}: download answered HTTP ${res.statusCode}`, 'run again');
      return res.body.text();
    }
    if (poll > 120) throw new RunError(`backup of ${d.conn.label} did not finish in time`, 'run again, or set backup: false');
    bookmark = r.at_bookmark ?? bookmark;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Scratch folders of processes that died (SIGKILL) are removed the next time one is made. */
async function removeDeadScratch(dir: string, envName: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of await readdir(dir)) {
    const pid = Number(new RegExp(`^${envName}-(\\d+)$`).exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}
