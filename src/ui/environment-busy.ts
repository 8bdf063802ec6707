/**
 * Is a local environment held by another process right now? Reading it would mean
 * waiting for that process (the lock file of targets/local/environment-lock.ts), so
 * the dashboard asks first and shows who holds it instead of waiting.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LoadedEnvironment } from '../config/schema.js';
import { localEnvironmentPaths } from '../targets/local/local-environment.js';

interface LockRecord {
  pid: number;
  host: string;
  owner?: string;
  runId?: string;
  command?: string;
  since?: string;
}

/** "busy: held by run r-… (alice@box pid 123, `promote --to staging`, since …)", or undefined when free. */
export function describeBusy(root: string, env: LoadedEnvironment, ownPid: number = process.pid): string | undefined {
  if (env.config.target !== 'local') return undefined;
  const file = join(localEnvironmentPaths(root, env.name, env.config).state, 'promote.lock');
  let holder: LockRecord;
  try {
    holder = JSON.parse(readFileSync(file, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
  if (holder.pid === ownPid && holder.host === hostname()) return undefined;
  if (holder.host === hostname() && !alive(holder.pid)) return undefined;
  const parts = [holder.owner ?? `pid ${holder.pid}`, holder.command ? `\`promote ${holder.command}\`` : '', holder.since ? `since ${holder.since}` : ''].filter(Boolean);
  return `busy: held by ${holder.runId ? `run ${holder.runId}` : 'another process'} (${parts.join(', ')})`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
