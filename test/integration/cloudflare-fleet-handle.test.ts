/**
 * The cloudflare HandleFleet against the fake API, without the engine: which tenants a
 * fleet has (match through the paged list, a file of names and uuids), what each tenant's
 * connection reaches, its own Time Travel, and the one budget every tenant shares.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentFleet } from '../../src/config/environment-databases.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { InvalidInputError } from '../../src/errors.js';
import { CloudflareApi } from '../../src/targets/cloudflare/cloudflare-api.js';
import { openCloudflareFleet } from '../../src/targets/cloudflare/cloudflare-fleet.js';
import { RestoreBudget } from '../../src/targets/cloudflare/restore-budget.js';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';

const N = 1100;
const name = (i: number) => `tenant-${String(i).padStart(4, '0')}`;
let fake: FakeCloudflare;
let root: string;
const uuids = new Map<string, string>();

beforeAll(async () => {
  fake = await startFakeCloudflare({ logBodies: false });
  // Added out of name order: match lists them by name.
  for (let i = N - 1; i >= 0; i--) uuids.set(name(i), (await fake.addDatabase(name(i))).uuid);
  for (const other of ['billing', 'tenants-archive', 'app-tenant-0001']) await fake.addDatabase(other);
  root = await mkdtemp(join(tmpdir(), 'cf-fleet-handle-'));
});
afterAll(async () => {
  await fake?.close();
  await rm(root, { recursive: true, force: true });
});

const api = (extra: ConstructorParameters<typeof CloudflareApi>[1] = {}) => new CloudflareApi({ token: fake.token, accountId: fake.accountId, baseUrl: fake.url }, extra);

function fleetOf(a: CloudflareApi, fleet: Partial<FleetConfig>): ReturnType<typeof openCloudflareFleet> {
  const f: EnvironmentFleet = {
    binding: 'DB',
    migrationsDir: 'migrations',
    ledgerTable: 'd1_migrations',
    fleet: { canary: [], concurrency: 16, maxFailures: 0, ...fleet } as FleetConfig,
  };
  return openCloudflareFleet(
    { api: a, root, environment: 'production', envFile: 'environments/production.yaml', scratch: () => Promise.reject(new Error('no scratch in this test')), restores: RestoreBudget.inProject(root) },
    f,
  );
}

const listRequests = (from: number) => fake.requests.slice(from).filter((r) => r.method === 'GET' && /\/d1\/database$/.test(r.path));

describe('which tenants a cloudflare fleet has', () => {
  it('match: every database whose name matches, by name, from ONE list request of 10,000 a page', async () => {
    const from = fake.requests.length;
    const fleet = fleetOf(api(), { match: 'tenant-*' });
    const tenants = await fleet.tenants();
    expect(tenants).toHaveLength(N);
    expect(tenants.slice(0, 3)).toEqual([name(0), name(1), name(2)]);
    expect(tenants).toEqual([...tenants].sort());
    expect(tenants).not.toContain('tenants-archive');
    expect(tenants).not.toContain('app-tenant-0001');
    // Asked again (observe, then rollback): no new request.
    expect(await fleet.tenants()).toEqual(tenants);
    const lists = listRequests(from);
    expect(lists).toHaveLength(1);
    expect(lists[0]!.query).toEqual({ page: '1', per_page: '10000' });
  });

  it('a pattern that matches nothing is invalid input naming the environment file', async () => {
    const error = await fleetOf(api(), { match: 'tenent-*' }).tenants().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems[0]).toMatchObject({ code: 'E_FLEET_MATCH', file: 'environments/production.yaml' });
    expect((error as InvalidInputError).problems[0]!.message).toContain('matches no D1 database');
  });

  it('source: names are resolved through one list request, uuids need none; order is the file\'s', async () => {
    await writeFile(join(root, 'tenants.txt'), `# customers\n${name(7)}\n${uuids.get(name(3))}\n${name(1)}\n`);
    const from = fake.requests.length;
    const fleet = fleetOf(api(), { source: 'tenants.txt' });
    expect(await fleet.tenants()).toEqual([name(7), uuids.get(name(3)), name(1)]);
    expect(listRequests(from)).toHaveLength(1);
    expect((await fleet.open(name(7))).conn).toMatchObject({ databaseId: uuids.get(name(7)), label: `production/DB[${name(7)}]` });

    await writeFile(join(root, 'uuids.txt'), `${uuids.get(name(5))}\n${uuids.get(name(6))}\n`);
    const from2 = fake.requests.length;
    expect(await fleetOf(api(), { source: 'uuids.txt' }).tenants()).toEqual([uuids.get(name(5)), uuids.get(name(6))]);
    expect(fake.requests.length - from2).toBe(0);
  });

  it('source: a name no database has is exit-2 input naming the file and its line; the same database twice too', async () => {
    await writeFile(join(root, 'bad.txt'), `${name(1)}\nacme-typo\n${uuids.get(name(1))}\n`);
    const error = await fleetOf(api(), { source: 'bad.txt' }).tenants().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    const problems = (error as InvalidInputError).problems;
    expect(problems).toEqual([
      expect.objectContaining({ code: 'E_FLEET_TENANT', file: 'bad.txt', line: 2, message: expect.stringContaining('is named acme-typo') }),
      expect.objectContaining({ code: 'E_FLEET_TENANT', file: 'bad.txt', line: 3, message: expect.stringContaining(`the same database as ${name(1)} (line 1)`) }),
    ]);
  });

  it('open() refuses a tenant the fleet does not have', async () => {
    const fleet = fleetOf(api(), { match: 'tenant-000*' });
    await expect(fleet.open('billing')).rejects.toThrow('billing is not a tenant of this fleet');
  });
});

describe('a tenant, opened', () => {
  it('its connection reaches its own database only; its bookmark and restore are its own', async () => {
    const fleet = fleetOf(api(), { match: 'tenant-*' });
    const a = await fleet.open(name(10));
    const b = await fleet.open(name(11));
    await a.conn.batch([{ sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)' }, { sql: "INSERT INTO notes (body) VALUES ('a')" }]);
    await b.conn.batch([{ sql: 'CREATE TABLE other (x)' }]);
    expect(await fake.database(uuids.get(name(10))!).query('SELECT body FROM notes')).toEqual([{ body: 'a' }]);
    expect(await fake.database(uuids.get(name(11))!).query("SELECT name FROM sqlite_master WHERE name = 'notes'")).toEqual([]);

    const mark = await fleet.timeTravel!(name(10)).bookmark('run-1');
    await a.conn.batch([{ sql: 'DROP TABLE notes' }]);
    await b.conn.batch([{ sql: 'INSERT INTO other VALUES (1)' }]);
    await fleet.timeTravel!(name(10)).restore(mark.id);
    expect(await fake.database(uuids.get(name(10))!).query('SELECT body FROM notes')).toEqual([{ body: 'a' }]);
    // The other tenant kept its write.
    expect(await fake.database(uuids.get(name(11))!).query('SELECT x FROM other')).toEqual([{ x: 1 }]);
  });
});

describe('every tenant shares the run\'s one budget', () => {
  it('300 tenants at concurrency 16 against a fake limiting to 120 per 10 s: the budget waits, no 429, each tenant reached once', async () => {
    // The budget frees a slot a margin (a tenth of the window) after the fake does: 1 s here, more
    // than a request waits between the budget and the fake on a loaded 2-core machine.
    const LIMIT = { requests: 120, windowMs: 10_000 };
    const limited = await startFakeCloudflare({ rateLimit: LIMIT, logBodies: false });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) ids.push((await limited.addDatabase(name(i))).uuid);
      // Started beforehand (not through the API), so the run is fast enough to meet the limit.
      for (const id of ids) await limited.database(id).query('SELECT 1');
      const a = new CloudflareApi({ token: limited.token, accountId: limited.accountId, baseUrl: limited.url }, { rateLimit: LIMIT });
      const fleet = openCloudflareFleet(
        { api: a, root, environment: 'production', envFile: 'environments/production.yaml', scratch: () => Promise.reject(new Error('none')), restores: RestoreBudget.inProject(root) },
        { binding: 'DB', migrationsDir: 'migrations', ledgerTable: 'd1_migrations', fleet: { match: 'tenant-*', canary: [], concurrency: 16, maxFailures: 0 } as FleetConfig },
      );
      const tenants = await fleet.tenants();
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let i = next++; i < tenants.length; i = next++) {
            const { conn } = await fleet.open(tenants[i]!);
            await conn.batch([{ sql: 'SELECT 1' }]);
          }
        }),
      );
      expect(limited.counts.total).toBe(301);
      expect(limited.counts.byStatus.get(429) ?? 0).toBe(0);
      expect(a.requests).toBe(301);
      expect(a.budget.waitedMs).toBeGreaterThan(0);
      for (const id of ids) expect(limited.counts.byDatabase.get(id)).toBe(1);
      await a.close();
    } finally {
      await limited.close();
    }
  });

  it('a 429 that comes anyway is retried after its Retry-After, and the tenant\'s call succeeds', async () => {
    const a = api();
    const fleet = fleetOf(a, { match: 'tenant-*' });
    const { conn } = await fleet.open(name(20));
    fake.faults.retryAfterSeconds = 1;
    fake.faults.failNext(2, '429', { path: /\/query$/ });
    const from = fake.requests.length;
    const rows = await conn.batch([{ sql: 'SELECT 42 AS n' }]);
    expect(rows[0]!.results).toEqual([{ n: 42 }]);
    const sent = fake.requests.slice(from);
    expect(sent.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(sent[1]!.time - sent[0]!.time).toBeGreaterThanOrEqual(1000);
    expect(sent[2]!.time - sent[1]!.time).toBeGreaterThanOrEqual(1000);
    await a.close();
  });
});
