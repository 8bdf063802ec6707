/**
 * One process at a time per local environment. Two workerd processes on one
 * SQLite file contend for its locks (an immediate SQLITE_BUSY at best, a
 * stalled request at worst), so a process takes this lock file before it
 * starts the environment's Miniflare and drops it when it stops. A lock left
 * by a process that died (SIGKILL) is taken over. The lease row in the
 * database stays the lock between runs that do reach it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { hostname } from 'node:os';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { LockedError } from '../../errors.js';
import { makePrivateDirSync, PRIVATE_FILE_MODE } from '../../private-files.js';
import { describeOwner } from '../../events/run-owner.js';

interface LockRecord {
  pid: number;
  host: string;
  owner: string;
  runId?: string;
  command: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(file: string): LockRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

const held = new Set<string>();
process.once('exit', () => {
  for (const file of held) {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
});

export interface EnvironmentLockOptions {
  environment: string;
  /** How long to wait for another process to let go (0: exit 3 at once). */
  waitMs: number;
  runId?: string;
  /** Who holds it, for the message another process prints (default: user@host pid N). */
  owner?: string;
  command?: string;
  /** Whether the command takes --wait, so the message may suggest it. */
  acceptsWaitFlag?: boolean;
  /** Told once, when the lock is held and this process starts to wait for it (a queued run says so). */
  onWait?: (message: string) => void;
}

export async function lockEnvironment(file: string, opts: EnvironmentLockOptions): Promise<() => void> {
  makePrivateDirSync(dirname(file));
  const deadline = Date.now() + opts.waitMs;
  const record: LockRecord = {
    pid: process.pid,
    host: hostname(),
    owner: opts.owner ?? describeOwner({}),
    ...(opts.runId ? { runId: opts.runId } : {}),
    command: opts.command ?? process.argv.slice(2).join(' '),
    since: new Date().toISOString(),
  };
  let waiting = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', PRIVATE_FILE_MODE);
      writeSync(fd, JSON.stringify(record));
      closeSync(fd);
      held.add(file);
      return () => {
        held.delete(file);
        if (read(file)?.pid === process.pid) unlinkSync(file);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = read(file);
    // A lock left by a dead process on this machine is taken over; a torn one (crash mid-write) too.
    if (!holder || (holder.host === hostname() && !alive(holder.pid))) {
      try {
        unlinkSync(file);
      } catch {
        // someone else took it over first
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockedError(
        `${opts.environment} is locked by run ${holder.runId ?? '(none)'} (${holder.owner}, \`promote ${holder.command}\`, since ${holder.since})`,
        opts.acceptsWaitFlag ? 'wait for it to finish, or pass --wait <duration> to queue behind it' : 'wait for it to finish (or stop it), then run this again',
      );
    }
    if (!waiting) {
      waiting = true;
      opts.onWait?.(`${opts.environment} is held by run ${holder.runId ?? '(none)'} (${holder.owner}, \`promote ${holder.command}\`); waiting up to ${Math.ceil(opts.waitMs / 1000)} s for it`);
    }
    await delay(100);
  }
}
