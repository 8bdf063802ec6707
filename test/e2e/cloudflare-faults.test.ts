/**
 * The cloudflare target under stress: how many D1 requests a migration
 * costs (promote vs wrangler), and promotions with a fifth of the D1 requests
 * failing in every way the fake knows (429, 500, reset, hang; before and
 * after the request took effect). Runs end promoted or cleanly rolled back,
 * and no migration is ever applied twice.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS, cloudflareProjectFiles, promoteCloudflare, startHealthServer } from '../helpers/cloudflare-project.js';
import { REPO, cleanupProjects, makeProject } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

const CANARY = 'faults-canary-token-41d8c2a6e07f';
let fake: FakeCloudflare;
let health: Server;
let healthBase: string;

beforeAll(async () => {
  fake = await startFakeCloudflare({ token: CANARY });
  ({ server: health, base: healthBase } = await startHealthServer(fake, {}));
}, 60_000);

afterAll(async () => {
  await new Promise((r) => health?.close(r));
  await fake?.close();
  await cleanupProjects();
});

/** k migrations, each a table, an index and one row in a shared counter: applying one twice would show. */
function migrations(k: number, pad = 0): Record<string, string> {
  const files: Record<string, string> = { 'migrations/0001_counter.sql': 'CREATE TABLE applied (n INTEGER NOT NULL);\n' };
  for (let i = 2; i <= k; i++) {
    const id = String(i).padStart(4, '0');
    files[`migrations/${id}_t${i}.sql`] =
      `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL${pad ? `, note TEXT DEFAULT '${'x'.repeat(pad)}'` : ''});\nCREATE INDEX t${i}_name ON t${i}(name);\nINSERT INTO applied (n) VALUES (${i});\n`;
  }
  return files;
}

async function world(k: number, pad = 0) {
  const uuids: Record<string, string> = {};
  const tag = Math.random().toString(16).slice(2, 8);
  for (const env of CF_ENVS) uuids[env] = (await fake.addDatabase(`app-${env}-${tag}`)).uuid;
  // the health server reads the same fake: register these databases for it
  const { server, base } = await startHealthServer(fake, uuids);
  const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, migrations(k, pad)));
  return { uuids, root, base, close: () => new Promise((r) => server.close(r)) };
}

function d1Requests(uuid: string, from: number): number {
  return fake.requests.slice(from).filter((r) => r.path.includes(`/d1/database/${uuid}/`)).length;
}

async function assertConsistent(uuid: string, context: string): Promise<string[]> {
  const db = fake.database(uuid);
  const ledger = ((await db.query('SELECT name FROM d1_migrations ORDER BY id').catch(() => [])) as { name: string }[]).map((r) => r.name);
  expect(new Set(ledger).size, `${context}: ledger without duplicates`).toBe(ledger.length);
  const tables = ((await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*'")) as { name: string }[]).map((r) => r.name).sort();
  const expected = ledger.filter((n) => /_t\d+\.sql$/.test(n)).map((n) => /_(t\d+)\.sql$/.exec(n)![1]!).sort();
  expect(tables, `${context}: schema matches ledger`).toEqual(expected);
  if (ledger.length > 0) {
    const counts = (await db.query('SELECT n, count(*) AS c FROM applied GROUP BY n HAVING c > 1')) as unknown[];
    expect(counts, `${context}: no migration ran twice`).toEqual([]);
  }
  return ledger;
}

describe('round trips: D1 requests per migrate', () => {
  for (const [k, pad] of [
    [1, 0],
    [12, 0],
    [40, 4000],
  ] as const) {
    it(`${k} pending file(s) cost at most 2 + ceil(bytes / 100 KB) D1 requests`, async () => {
      const w = await world(k, pad);
      try {
        const from = fake.requests.length;
        const res = await promoteCloudflare({ fake, healthBase: w.base }, w.root, ['migrate', '--env', 'staging', '--json']);
        expect(res.code, res.stderr).toBe(0);
        const summary = lastJson(res.stdout) as { databases: { applied: string[] }[] };
        expect(summary.databases[0]!.applied).toHaveLength(k);
        const bytes = Object.values(migrations(k, pad)).reduce((n, t) => n + Buffer.byteLength(t), 0);
        const budget = 2 + Math.ceil(bytes / 100_000);
        expect(d1Requests(w.uuids.staging!, from), `bytes ${bytes}`).toBeLessThanOrEqual(budget);
      } finally {
        await w.close();
      }
    });
  }

  it('wrangler d1 migrations apply --remote costs k + 2 on the same files', async () => {
    const k = 12;
    const w = await world(k);
    try {
      const from = fake.requests.length;
      const res = await new Promise<number>((resolve) => {
        const child = spawn(join(REPO, 'node_modules', '.bin', 'wrangler'), ['d1', 'migrations', 'apply', 'DB', '--remote', '--env', 'staging'], {
          cwd: w.root,
          env: { ...process.env, ...fake.env, HOME: join(w.root, '.home'), CI: 'true', WRANGLER_SEND_METRICS: 'false' },
          stdio: 'ignore',
        });
        child.on('close', (c) => resolve(c ?? -1));
      });
      expect(res).toBe(0);
      expect(d1Requests(w.uuids.staging!, from)).toBeGreaterThanOrEqual(k + 2);
    } finally {
      await w.close();
    }
  });
});

describe('a fifth of the D1 requests fail (429, 500, reset, hang; before and after taking effect)', () => {
  const SEEDS = (process.env.PROMOTE_FAULT_SEEDS ?? '11,23,37').split(',').map(Number);
  for (const seed of SEEDS) {
    it(`seed ${seed}: promoted or cleanly rolled back, nothing applied twice, no token leaked`, async () => {
      const w = await world(6);
      try {
        fake.faults.clear();
        fake.faults.failRate(0.1, ['429', '500', 'reset', 'hang'], seed, { path: /\/d1\/database\// });
        fake.faults.failRate(0.1, ['500', 'reset', 'hang'], seed + 1, { path: /\/d1\/database\//, phase: 'after' });
        const res = await promoteCloudflare({ fake, healthBase: w.base }, w.root, ['--to', 'production', '--json'], { PROMOTE_API_TIMEOUT: '2s' });
        fake.faults.clear();
        const context = `seed ${seed}: exit ${res.code}\n${res.stderr.slice(-1500)}\n${res.stdout.trim().split('\n').at(-1)}`;
        expect([0, 1], context).toContain(res.code);
        const summary = lastJson(res.stdout) as { result: string; stages: { environment: string; result: string }[] };
        expect(['promoted', 'rolled-back'], context).toContain(summary.result);
        for (const env of CF_ENVS) {
          const ledger = await assertConsistent(w.uuids[env]!, `${context} ${env}`);
          const stage = summary.stages.find((s) => s.environment === env)!;
          if (stage.result === 'promoted') expect(ledger, `${context} ${env}`).toHaveLength(6);
        }
        // the token travels only in the Authorization header
        expect(res.stdout + res.stderr).not.toContain(CANARY);
        for (const r of fake.requests) expect(r.body ?? '').not.toContain(CANARY);
        // a rerun without faults finishes the job
        const rerun = await promoteCloudflare({ fake, healthBase: w.base }, w.root, ['--to', 'production', '--json', '--wait', '30s']);
        expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
        for (const env of CF_ENVS) expect(await assertConsistent(w.uuids[env]!, `rerun ${env}`)).toHaveLength(6);
      } finally {
        fake.faults.clear();
        await w.close();
      }
    });
  }
});
