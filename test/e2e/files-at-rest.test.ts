/**
 * Files at rest, with the real CLI: after a local promotion (Miniflare's D1 files, Worker
 * versions, bookmarks, run records), a manual rollback, and a Cloudflare promotion that takes
 * a backup (fake Cloudflare, real wrangler), every folder under .promote/ is 0700 and every
 * file 0600. The CLI is started under umask 000, so none of it comes from the caller's umask.
 * The backup says at its top that it holds production data.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { cloudflareEnv, countedMigrations, remoteWorld } from '../chaos/chaos-helpers.js';
import { cloudflareEnvFile } from '../helpers/cloudflare-project.js';
import { BIN, cleanupProjects, makeProject, REPO, writeFiles, type CliResult } from '../helpers/project.js';
import { migrationFiles, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

/** The CLI under `umask 000` (through sh: Node cannot set a child's umask). */
function runUnderUmask0(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const merged = Object.fromEntries(
      Object.entries({ ...process.env, GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined, GITHUB_OUTPUT: undefined, GITHUB_TOKEN: undefined, SLACK_WEBHOOK_URL: undefined, NO_COLOR: '1', CI: 'true', WRANGLER_SEND_METRICS: 'false', ...env }).filter(
        ([, v]) => v !== undefined,
      ),
    );
    const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, BIN, ...args], { cwd: REPO, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Every path under .promote/ (itself included) whose mode is not owner-only, with its mode. */
function widerThanOwner(root: string): string[] {
  const base = join(root, '.promote');
  const wide: string[] = [];
  const check = (path: string, shown: string): void => {
    const st = statSync(path);
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) wide.push(`${shown} ${(st.mode & 0o777).toString(8)}`);
  };
  check(base, '.promote');
  for (const p of readdirSync(base, { recursive: true, encoding: 'utf8' })) check(join(base, p), `.promote/${p}`);
  return wide;
}

function kinds(root: string): Set<string> {
  return new Set(readdirSync(join(root, '.promote'), { recursive: true, encoding: 'utf8' }).map((p) => p.split('/').slice(0, 3).join('/').replace(/r-[0-9TZa-f-]+/, 'r-…')));
}

describe('everything promote writes under .promote/ is for its owner only', () => {
  it('after local promotions and a rollback', async () => {
    const root = await makeProject(promotionFiles(2));
    const promoted = await runUnderUmask0(['--to', 'production', '--cwd', root]);
    expect(promoted.code, promoted.stderr + promoted.stdout.slice(-1500)).toBe(0);
    const seen = kinds(root);
    for (const part of ['runs', 'envs/production/bookmarks', 'envs/production/workers', 'envs/production/d1']) {
      expect([...seen].some((k) => k.startsWith(part) || k.includes(part)), `${part} in ${[...seen].join(', ')}`).toBe(true);
    }
    expect(widerThanOwner(root)).toEqual([]);

    // A second promotion, so the rollback has a bookmark of a healthy database and an earlier Worker.
    await writeFiles(root, migrationFiles(1, 3));
    const again = await runUnderUmask0(['--to', 'production', '--cwd', root]);
    expect(again.code, again.stderr + again.stdout.slice(-1500)).toBe(0);
    expect(widerThanOwner(root)).toEqual([]);

    const rolled = await runUnderUmask0(['rollback', '--env', 'production', '--cwd', root]);
    expect(rolled.code, rolled.stderr + rolled.stdout).toBe(0);
    expect(widerThanOwner(root)).toEqual([]);
  }, 240_000);

  describe('with a backup of a Cloudflare database', () => {
    let fake: FakeCloudflare;
    beforeAll(async () => {
      fake = await startFakeCloudflare();
    }, 60_000);
    afterAll(async () => {
      await fake?.close();
    });

    it('after a promotion that took one; its header says it holds production data', async () => {
      const w = await remoteWorld(fake, countedMigrations(2), {
        envFile: (env, base) => (env === 'production' ? cloudflareEnvFile('production', 'backup: true\n') : base),
        extraFiles: { 'pipeline/pipeline.yaml': 'name: cloud\nstages:\n  - environment: production\n' },
      });
      try {
        await fake.database(w.uuids.production!).query('CREATE TABLE kept (v TEXT)');
        await fake.database(w.uuids.production!).query("INSERT INTO kept VALUES ('a production row')");
        const res = await runUnderUmask0(['--to', 'production', '--cwd', w.root], cloudflareEnv(fake, w));
        expect(res.code, res.stderr + res.stdout.slice(-1500)).toBe(0);
        const dir = join(w.root, '.promote', 'backups', 'production');
        expect(existsSync(dir)).toBe(true);
        const [backup] = readdirSync(dir);
        const text = readFileSync(join(dir, backup!), 'utf8');
        expect(text.split('\n')[0]).toMatch(/^-- promote-backup: \{"format":1,"environment":"production"/);
        expect(text.split('\n')[1]).toMatch(/^-- PRODUCTION DATA: a full copy of D1 database .* environment production/);
        expect(text).toContain('a production row');
        expect(widerThanOwner(w.root)).toEqual([]);
      } finally {
        await w.close();
      }
    }, 240_000);
  });
});
