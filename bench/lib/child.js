// Spawns a child process and measures wall clock from spawn to exit.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export class ChildError extends Error {}

/**
 * Runs `cmd args` and resolves { ms, code, stdout, stderr }. Rejects (with the
 * child's stderr in the message) when it exits non-zero, is killed, or exceeds
 * `timeoutMs` (then the whole process group is killed).
 */
export function runChild(cmd, args, { cwd, env, timeoutMs = 60_000, allowFail = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32', // own process group, so a timeout kills grandchildren (workerd) too
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill(child);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ChildError(`${cmd} could not start: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const label = [cmd, ...args].join(' ');
      if (timedOut) return reject(new ChildError(`timed out after ${timeoutMs / 1000} s: ${label}\n${tail(stderr)}`));
      if ((code !== 0 || signal) && !allowFail)
        return reject(new ChildError(`exit ${code ?? signal}: ${label}\n--- stderr ---\n${tail(stderr)}\n--- stdout ---\n${tail(stdout)}`));
      resolvePromise({ ms, code, stdout, stderr });
    });
  });
}

function kill(child) {
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function tail(s, n = 4000) {
  return s.length > n ? '…' + s.slice(-n) : s;
}
