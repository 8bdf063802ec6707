/**
 * A spawned CLI run watched while it runs: its --json event lines as they come,
 * so a test waits for what the run did (its `lock` step succeeded) instead of
 * sleeping and hoping it got there.
 */
import { spawn } from 'node:child_process';
import { BIN, REPO, cliEnv, type CliResult } from './project.js';

export interface CliEvent {
  type: string;
  stage?: string;
  step?: string;
  at?: string;
  [key: string]: unknown;
}

export interface RunningCli {
  /** Resolves with the first event (past or future) that matches; rejects when the run ends without one. */
  waitFor(match: (event: CliEvent) => boolean, what: string): Promise<CliEvent>;
  /** Resolves once stderr contains `text`; rejects when the run ends without it. */
  waitForStderr(text: string): Promise<void>;
  /** Every event seen so far. */
  readonly events: readonly CliEvent[];
  /** True once the process has exited. */
  readonly finished: boolean;
  /** The whole run, as runCli returns it. */
  readonly done: Promise<CliResult>;
  /** Sends a signal to the CLI process (SIGKILL: a crash at this point). */
  kill(signal: NodeJS.Signals): void;
}

export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const events: CliEvent[] = [];
  const waiters: { match: (e: CliEvent) => boolean; resolve: (e: CliEvent) => void }[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  let finished = false;

  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as CliEvent;
      events.push(event);
      for (const w of waiters.splice(0)) (w.match(event) ? w.resolve(event) : waiters.push(w));
    }
  });
  const stderrWaiters: { text: string; resolve: () => void }[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
    for (const w of stderrWaiters.splice(0)) (stderr.includes(w.text) ? w.resolve() : stderrWaiters.push(w));
  });

  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      finished = true;
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });

  return {
    events,
    kill: (signal) => void child.kill(signal),
    get finished() {
      return finished;
    },
    done,
    waitForStderr(text) {
      if (stderr.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        stderrWaiters.push({ text, resolve });
        void done.then((r) => reject(new Error(`the run ended (exit ${r.code}) before stderr said ${text}\nstderr:\n${r.stderr}`)));
      });
    },
    waitFor(match, what) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void done.then((r) => reject(new Error(`the run ended (exit ${r.code}) without ${what}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)));
      });
    },
  };
}
