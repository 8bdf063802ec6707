/**
 * A fleet of 1,000 tenant D1 databases on the fake Cloudflare API, through the real CLI
 * (`promote --to production`), fleet.match "tenant-*" at concurrency 16:
 *   - every tenant migrated, each tenant's ledger exact (every one of them is read);
 *   - one tenant whose schema breaks the migration fails alone, named, the others go on;
 *   - every tenant costs the same requests, no more than one single database (counted at the fake);
 *   - no 429 reached the user: the 429s the fake sends (a seeded 1% of D1 queries) were all
 *     retried after their Retry-After, and the fake's own rate limit was never hit.
 * Latency 0; the request budget is Cloudflare's 1,200 per 5 minutes scaled to the fake's limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare, type LoggedRequest } from '../fake-cloudflare/server.js';
import { migrationFiles } from '../helpers/promotion-project.js';
import { cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { join } from 'node:path';

const TENANTS = Number(process.env.FLEET_TENANTS ?? 1000);
const MIGRATIONS = 3;
const tenant = (i: number) => `tenant-${String(i).padStart(4, '0')}`;
const BROKEN = tenant(Math.ceil(TENANTS / 2));
/** The fake's limit and the run's budget: generous (the run never needs to wait), yet enforced. */
const RATE = { requests: 20_000, windowMs: 60_000 };

let fake: FakeCloudflare;
const uuids = new Map<string, string>();
let singleUuid: string;

function wrangler(accountId: string, databaseId: string): string {
  return JSON.stringify({
    name: 'app',
    compatibility_date: '2026-04-01',
    account_id: accountId,
    env: { production: { d1_databases: [{ binding: 'DB', database_name: 'app-production', database_id: databaseId, migrations_dir: 'migrations' }] } },
  });
}

function project(databases: string, databaseId: string): Record<string, string> {
  return {
    'wrangler.jsonc': wrangler(fake.accountId, databaseId),
    'pipeline/pipeline.yaml': 'name: fleet\nstages:\n  - environment: production\nrollback:\n  database: none\n',
    'environments/production.yaml': `target: cloudflare\nwrangler:\n  env: production\ndatabases:\n${databases}`,
    ...migrationFiles(MIGRATIONS),
  };
}

const run = (root: string, args: string[]) =>
  runCli([...args, '--cwd', root], { env: { ...fake.env, HOME: join(root, '.home'), PROMOTE_API_RATE_LIMIT: `${RATE.requests}/${RATE.windowMs / 1000}s` } });

/** API requests to one database (any route below /d1/database/:uuid), refused ones left out. */
const answeredFor = (requests: readonly LoggedRequest[], uuid: string) => requests.filter((r) => r.path.includes(`/d1/database/${uuid}`) && r.status !== 429).length;

beforeAll(async () => {
  fake = await startFakeCloudflare({ rateLimit: RATE, timeTravel: 'on-demand' });
  for (let i = 1; i <= TENANTS; i++) uuids.set(tenant(i), (await fake.addDatabase(tenant(i))).uuid);
  singleUuid = (await fake.addDatabase('single-db')).uuid;
  await fake.addDatabase('tenants-archive');
  // The broken tenant already has a t2 of its own: migration 0002's CREATE TABLE t2 fails there.
  await fake.database(uuids.get(BROKEN)!).query('CREATE TABLE t2 (legacy TEXT)');
}, 120_000);
afterAll(async () => {
  await fake?.close();
  await cleanupProjects();
});

describe(`a fleet of ${TENANTS} tenants on Cloudflare`, () => {
  let singleRequests = 0;
  let tenantRequests = 0;

  it('baseline: one single database takes N requests for the same migrations', async () => {
    const root = await makeProject(project('  - binding: DB\n', singleUuid));
    const from = fake.requests.length;
    const r = await run(root, ['--to', 'production']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    singleRequests = answeredFor(fake.requests.slice(from), singleUuid);
    expect(singleRequests).toBeGreaterThan(0);
    expect((await fake.database(singleUuid).query('SELECT name FROM d1_migrations ORDER BY id')).map((x) => x.name)).toEqual(['0001_t1.sql', '0002_t2.sql', '0003_t3.sql']);
  });

  it(`migrates every tenant; ${BROKEN} fails alone and is named; each tenant took the same requests, no more than one database; no 429 reached the user`, async () => {
    const root = await makeProject(project(`  - binding: DB\n    fleet:\n      match: "tenant-*"\n      concurrency: 16\n      maxFailures: 5\n`, singleUuid));
    fake.faults.retryAfterSeconds = 1;
    fake.faults.failRate(0.01, ['429'], 1234, { path: /\/d1\/database\/[^/]+\/query$/ });
    const from = fake.requests.length;
    const started = Date.now();
    const r = await run(root, ['--to', 'production']);
    const ms = Date.now() - started;
    fake.faults.clear();
    const sent = fake.requests.slice(from);
    // The stage failed because one tenant did, and says which.
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`1 of ${TENANTS} tenants of production/DB failed (${BROKEN})`);
    expect(r.stdout + r.stderr).toContain('table t2 already exists');

    // Every tenant read back: the exact ledger, in order; the broken one untouched by 0002 and after.
    const wrong: string[] = [];
    for (const [name, uuid] of uuids) {
      const ledger = (await fake.database(uuid).query('SELECT name FROM d1_migrations ORDER BY id').catch(() => [])).map((x) => x.name);
      const want = name === BROKEN ? [] : ['0001_t1.sql', '0002_t2.sql', '0003_t3.sql'];
      if (JSON.stringify(ledger) !== JSON.stringify(want)) wrong.push(`${name}: ${JSON.stringify(ledger)}`);
    }
    expect(wrong).toEqual([]);
    expect(await fake.database(uuids.get(BROKEN)!).query("SELECT name FROM sqlite_master WHERE name IN ('t1','t3')")).toEqual([]);

    // Requests per tenant: the single database's count, for every migrated tenant.
    const perTenant = new Map<number, string[]>();
    for (const [name, uuid] of uuids) {
      if (name === BROKEN) continue;
      const n = answeredFor(sent, uuid);
      perTenant.set(n, [...(perTenant.get(n) ?? []), name]);
    }
    // Every migrated tenant cost the same, and no more than one single database does: retries,
    // the list and the shared budget add nothing per tenant.
    const spread = [...perTenant.entries()].map(([n, t]) => `${n}: ${t.length} tenants, e.g. ${t[0]}`).join('; ');
    expect(perTenant.size, spread).toBe(1);
    tenantRequests = [...perTenant.keys()][0]!;
    expect(tenantRequests, spread).toBeLessThanOrEqual(singleRequests);
    // The account's list was read once.
    expect(sent.filter((x) => x.method === 'GET' && /\/d1\/database$/.test(x.path))).toHaveLength(1);

    // 429s: only the injected ones, each retried after its Retry-After with the same request.
    const refused = sent.filter((x) => x.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((x) => x.rateLimited)).toEqual([]);
    expect(fake.counts.byStatus.get(429)).toBe(refused.length);
    for (const x of refused) {
      const retry = sent.find((y) => y.time > x.time && y.path === x.path && y.body === x.body && y.status !== 429);
      expect(retry, `${x.path} was not retried`).toBeDefined();
      expect(retry!.time - x.time).toBeGreaterThanOrEqual(1000);
    }
    const d1 = sent.filter((x) => x.path.includes('/d1/database/'));
    console.log(`fleet of ${TENANTS}: ${ms} ms, ${sent.length} requests (${refused.length} injected 429s), ${tenantRequests} per tenant (one database: ${singleRequests}); D1 requests from +${d1[0]!.time - started} ms to +${d1.at(-1)!.time - started} ms`);
  }, 600_000);
});
