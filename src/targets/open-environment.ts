/** Opens one environment for a command that is not a promotion (status, plan, migrate). */
import type { LoadedEnvironment } from '../config/schema.js';
import type { Workspace } from '../project/load-workspace.js';
import { openCloudflareHandle, prepareCloudflare } from './cloudflare/cloudflare-handle.js';
import type { EnvironmentHandle } from './environment-handle.js';
import { openLocalHandle } from './local/local-handle.js';
import { secretsFrom } from '../notify/secrets.js';
import { declaredSecretNames } from '../config/credential-rules.js';

export async function openEnvironment(ws: Workspace, env: LoadedEnvironment, processEnv: NodeJS.ProcessEnv): Promise<{ handle: EnvironmentHandle }> {
  if (env.config.target === 'local') return { handle: await openLocalHandle(ws, env, undefined, { serve: false }) };
  const ctx = await prepareCloudflare(ws, env, processEnv);
  const handle = await openCloudflareHandle(ws, env, ctx, undefined, { runId: 'read', lockTtlMs: 60_000, waitMs: 0, redact: secretsFrom(processEnv, declaredSecretNames(ws.project.environments.values())) });
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
