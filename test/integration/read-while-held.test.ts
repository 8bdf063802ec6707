/**
 * `promote serve` holds its environment (one workerd per SQLite file). status
 * and plan only read: they must answer at once, from a copy of the files,
 * saying so, instead of waiting 15 s and exiting 3. A command that writes
 * (migrate) still waits, and its hint names no flag it refuses (--wait).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BIN, cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  let stdout = '';
  let stderr = '';
  const started = Date.now();
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } }, { ...process.env, CI: 'true', NO_COLOR: '1' });
  return { code, stdout, stderr, ms: Date.now() - started };
}

function serve(root: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--env', 'dev', '--cwd', root], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/at http:\/\/127\.0\.0\.1:\d+\//.test(out)) resolve(child);
    });
    child.on('close', () => reject(new Error(`serve exited: ${out}`)));
  });
}

describe('reading an environment that promote serve holds', () => {
  it('status and plan answer from a copy and say so; migrate waits and suggests no refused flag', async () => {
    const root = await makeProject(promotionFiles(2));
    expect((await runCli(['--to', 'dev', '--cwd', root])).code).toBe(0);
    // what status says with nobody holding dev: the baseline for how long reading takes here
    const free = await inProcess(['status', '--env', 'dev', '--json', '--cwd', root]);
    expect(free.code, free.stderr).toBe(0);
    const server = await serve(root);
    try {
      const status = await inProcess(['status', '--env', 'dev', '--json', '--cwd', root]);
      expect(status.code, status.stderr).toBe(0);
      const env = JSON.parse(status.stdout).environments[0];
      expect(env.databases[0].applied).toEqual(['0001_t1.sql', '0002_t2.sql']);
      expect(env.note).toMatch(/^dev is locked by run \(none\) \(.*`promote serve --env dev --cwd .*`.*\): read from a copy of its files$/);
      // no queueing behind the holder: about as fast as with nobody holding it (the old wait was 15 s)
      expect(status.ms).toBeLessThan(free.ms + 2_000);

      const plan = await inProcess(['plan', '--to', 'dev', '--cwd', root]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('DB: up to date');
      expect(plan.stdout).toContain('note: dev is locked by run (none)');

      const migrate = await inProcess(['migrate', '--env', 'dev', '--cwd', root]);
      expect(migrate.code).toBe(3);
      expect(migrate.stderr).toContain('wait for it to finish (or stop it), then run this again');
      expect(migrate.stderr).not.toContain('--wait');
    } finally {
      server.kill('SIGINT');
      await new Promise((r) => server.on('close', r));
    }
  });
});
