import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shieldChildrenFromTerminalInterrupt, withoutShield } from '../../../src/cli/child-shield.js';

describe('child shield', () => {
  it.runIf(process.platform !== 'win32')('points Miniflare and esbuild at the SIGINT-ignoring wrappers, keeping the real binaries', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/usr/bin' };
    shieldChildrenFromTerminalInterrupt(env);
    expect(env.MINIFLARE_WORKERD_PATH).toMatch(/bin\/shield\/workerd$/);
    expect(env.ESBUILD_BINARY_PATH).toMatch(/bin\/shield\/esbuild$/);
    for (const p of [env.MINIFLARE_WORKERD_PATH!, env.ESBUILD_BINARY_PATH!, env.PROMOTE_WORKERD_BINARY!, env.PROMOTE_ESBUILD_BINARY!]) expect(existsSync(p), p).toBe(true);
    // wrangler brings its own workerd and esbuild: it gets none of this
    expect(withoutShield(env)).toEqual({ PATH: '/usr/bin' });
  });
});
