/**
 * `promote ui`: the read-only dashboard on a local web server. Loopback only
 * unless a token guards it; the token is then required on every request.
 */
import { isIP } from 'node:net';
import { ExitCode, PromoteError } from '../../errors.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { collectDashboard } from '../../ui/collect-dashboard.js';
import { startDashboardServer } from '../../ui/dashboard-server.js';
import { readHealth, readPlan } from '../../ui/read-on-demand.js';
import { RunViewCache } from '../../ui/run-cache.js';
import { renderHealth, renderPlan } from '../../ui/render-fragments.js';
import type { CommandContext } from '../command-context.js';

const DEFAULT_PORT = 7420;

export interface UiOptions {
  host: string;
  port: number;
  token?: string;
}

export function parseUiOptions(values: CommandContext<'ui'>['values']): UiOptions {
  const usage = (message: string, hint: string) => new PromoteError(`ui: ${message}`, ExitCode.invalidInput, hint);
  const host = values.host === undefined ? '127.0.0.1' : String(values.host);
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usage(`--port ${String(values.port)} is not a port number`, 'pass --port <0-65535> (0: any free port)');
  const token = typeof values.token === 'string' && values.token !== '' ? values.token : undefined;
  if (!isLoopback(host) && token === undefined) {
    throw usage(`binding ${host} without --token would show your environments to the network`, 'bind 127.0.0.1 (the default), or pass --token <secret> so every request must carry it');
  }
  return { host, port, ...(token ? { token } : {}) };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export async function run({ root, output, env, settings, values }: CommandContext<'ui'>): Promise<number> {
  const opts = parseUiOptions(values);
  // A project that does not load is exit 2 now, like every other command, not a broken page later.
  await loadWorkspace(root, env);
  const cache = new RunViewCache(root);
  const server = await startDashboardServer({
    root,
    ...opts,
    loadModel: () => collectDashboard(root, { settings, cache }),
    health: async (name) => renderHealth(await readHealth(root, name, settings)),
    plan: async (to) => renderPlan(await readPlan(root, to, settings)),
  });
  // The token is not printed: whoever started the server already has it.
  output.out(`promote ui: ${server.url}${opts.token ? '?token=<your token>' : ''} (read-only; Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
