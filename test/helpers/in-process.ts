/**
 * The middle test layer: the real CLI, `main(argv, streams, env)`, called in the
 * test's own process with its output captured and its environment injected. It
 * needs no build and no process start (about 0.4 s of CPU each on these machines),
 * so the many cases that end before any environment opens (config and migration
 * files refused with exit 2) run here; what needs a process of its own (signals,
 * kills, locks held by another run, the bin's exit code) stays in runCli.
 */
import { main } from '../../src/cli/main.js';
import type { CliResult } from './project.js';

export interface InProcessOptions {
  /** Variables to add; one set to undefined is removed. */
  env?: NodeJS.ProcessEnv;
  /** Reported as a terminal (default: piped, as in CI). */
  tty?: boolean;
}

/**
 * The same environment runCli gives its child, minus everything the machine
 * running the tests happens to have set: only PATH and HOME are kept (wrangler
 * and Miniflare look for them), so a case sees exactly the variables it names.
 */
function baseEnv(): NodeJS.ProcessEnv {
  const { PATH, HOME, TMPDIR } = process.env;
  return { PATH, HOME, TMPDIR, NO_COLOR: '1', CI: 'true', WRANGLER_SEND_METRICS: 'false' };
}

/** `promote <args>` in-process: exit code, stdout and stderr, as runCli returns them. */
export async function runInProcess(args: readonly string[], opts: InProcessOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const tty = opts.tty ?? false;
  const streams = {
    stdout: { isTTY: tty, write: (s: string) => ((stdout += s), true) },
    stderr: { isTTY: tty, write: (s: string) => ((stderr += s), true) },
  };
  const env = Object.fromEntries(Object.entries({ ...baseEnv(), ...opts.env }).filter(([, v]) => v !== undefined));
  const code = await main(args, streams, env);
  return { code, stdout, stderr };
}
