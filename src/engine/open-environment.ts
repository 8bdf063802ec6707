/** Opens one environment for a command that is not a promotion (status, plan, migrate). */
import type { LoadedEnvironment } from '../config/schema.js';
import { openCloudflareHandle, prepareCloudflare } from '../targets/cloudflare/cloudflare-handle.js';
import type { EnvironmentHandle, TargetContext } from '../targets/environment-handle.js';
import { openLocalHandle } from '../targets/local/local-handle.js';
import type { EngineSettings } from './engine-settings.js';
import type { Workspace } from './load-workspace.js';

/** The small context an adapter gets for one environment. */
export function targetContext(ws: Workspace, env: LoadedEnvironment, settings: Pick<EngineSettings, 'redact'>): TargetContext {
  return { root: ws.project.root, databases: ws.databasesOf(env), redact: settings.redact };
}

/** `readOnly`: the command only reads (status, plan), so an environment another process holds is read from a copy. */
export async function openEnvironment(ws: Workspace, env: LoadedEnvironment, settings: EngineSettings, readOnly = false): Promise<{ handle: EnvironmentHandle }> {
  const target = targetContext(ws, env, settings);
  if (env.config.target === 'local') return { handle: await openLocalHandle(target, env, undefined, { serve: false, owner: settings.owner, readOnly }) };
  const ctx = await prepareCloudflare(ws.project.root, env, settings.cloudflare);
  const handle = await openCloudflareHandle(target, env, ctx, undefined);
  return {
    handle: {
      ...handle,
      dispose: async () => {
        await handle.dispose();
        await ctx.close();
      },
    },
  };
}

/** Opens an environment for a manual rollback: its Worker served (local) and its Worker rollback available, no build needed. */
export async function openForRollback(ws: Workspace, env: LoadedEnvironment, settings: EngineSettings, runId: string): Promise<EnvironmentHandle> {
  const target = targetContext(ws, env, settings);
  if (env.config.target === 'local') return openLocalHandle(target, env, undefined, { serve: true, owner: settings.owner, runId });
  const ctx = await prepareCloudflare(ws.project.root, env, settings.cloudflare);
  const handle = await openCloudflareHandle(target, env, ctx, undefined);
  return {
    ...handle,
    dispose: async () => {
      await handle.dispose();
      await ctx.close();
    },
  };
}
