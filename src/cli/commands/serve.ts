import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { LocalEnvironmentRuntime } from '../../targets/local/local-environment.js';
import { environmentDir, servedWorkerOf } from '../../targets/local/local-handle.js';
import { WorkerVersionStore } from '../../targets/local/worker-versions.js';
import type { CommandContext } from '../command-context.js';

/** Keeps an environment's current Worker version running for a person to poke at, like `wrangler dev`. */
export async function run({ root, env, values, output }: CommandContext<'serve'>): Promise<number> {
  if (!values.env) throw new InvalidInputError([], 'serve needs --env <environment>');
  const ws = await loadWorkspace(root, env);
  const target = selectEnvironment(ws.project, String(values.env), '--env');
  if (target.config.target !== 'local') throw new InvalidInputError([], `serve runs local environments only; ${target.name} is ${target.config.target}`);
  const config = values.port !== undefined ? { ...target.config, worker: { ...target.config.worker!, port: parsePort(String(values.port)) } } : target.config;
  const versions = new WorkerVersionStore(join(environmentDir(ws.project.root, target.name), 'workers'));
  const current = await versions.current();
  const runtime = await LocalEnvironmentRuntime.start(ws.project.root, target.name, config, { worker: await servedWorkerOf(versions, current) });
  output.out(`${target.name}: serving ${current ? `version ${current.id}` : 'nothing yet (run promote --to ' + target.name + ')'} at ${runtime.url}`);
  output.out('press Ctrl-C to stop');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await runtime.dispose();
  return 0;
}

function parsePort(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new InvalidInputError([], `--port ${text}: expected a port number from 1 to 65535`);
  return port;
}
