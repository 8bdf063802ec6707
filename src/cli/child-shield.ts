/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group:
 * promote, and also the workerd processes Miniflare spawns and esbuild's build
 * service. Promote handles SIGINT by stopping at a safe point; its children
 * must not die of it first, or the step in flight fails. Both libraries start
 * their binary from a path in the environment, so they are pointed at the
 * tiny wrappers in bin/shield/, which ignore SIGINT and exec the real binary
 * (an ignored signal stays ignored across exec). Promote still stops them:
 * Miniflare with SIGKILL on dispose or exit, and the workerd wrapper's watcher
 * when promote itself was SIGKILLed.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHIELD_DIR = fileURLToPath(new URL('../../bin/shield/', import.meta.url));

/** Mutates `env` (the process's own, from bin/): the children inherit it. */
export function shieldChildrenFromTerminalInterrupt(env: NodeJS.ProcessEnv): void {
  // No process groups or sh on Windows; a promote started by promote is shielded already.
  if (process.platform === 'win32' || env.PROMOTE_WORKERD_BINARY !== undefined) return;
  const require = createRequire(import.meta.url);
  const workerd = env.MINIFLARE_WORKERD_PATH ?? resolveQuietly(() => (require('workerd') as { default: string }).default);
  if (workerd && existsSync(workerd)) {
    env.PROMOTE_WORKERD_BINARY = workerd;
    env.MINIFLARE_WORKERD_PATH = `${SHIELD_DIR}workerd`;
  }
  const esbuild =
    env.ESBUILD_BINARY_PATH ??
    resolveQuietly(() => createRequire(require.resolve('esbuild')).resolve(`@esbuild/${process.platform}-${process.arch}/bin/esbuild`));
  if (esbuild && existsSync(esbuild)) {
    env.PROMOTE_ESBUILD_BINARY = esbuild;
    env.ESBUILD_BINARY_PATH = `${SHIELD_DIR}esbuild`;
  }
}

function resolveQuietly(find: () => string): string | undefined {
  try {
    return find();
  } catch {
    // not installed for this platform: that library then fails in its own words
    return undefined;
  }
}

const SHIELD_VARIABLES = ['MINIFLARE_WORKERD_PATH', 'ESBUILD_BINARY_PATH', 'PROMOTE_WORKERD_BINARY', 'PROMOTE_ESBUILD_BINARY'];

/**
 * The environment for children that bring their own workerd and esbuild
 * (wrangler): without the wrappers, which exec promote's binaries, whose
 * versions need not be theirs (esbuild refuses a binary of another version).
 */
export function withoutShield(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  if (env.PROMOTE_WORKERD_BINARY === undefined && env.PROMOTE_ESBUILD_BINARY === undefined) return { ...env };
  return Object.fromEntries(Object.entries(env).filter(([k]) => !SHIELD_VARIABLES.includes(k)));
}
