/**
 * The fake at tenant-fleet scale: 1,200 databases cost one Miniflare rebind (bindings are lazy and
 * made in bulk), each is real D1 on its own, the list API pages as D1's does (10..10,000 per page,
 * result_info { page, per_page, count, total_count }), and the request counter sees every call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, d1Path } from './api-client.js';
import { EMPTY_DUMP } from './d1-engine.js';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

const N = 1200;
/** The tenants, 'tenant-late', 'other-db', and 'tenant-later' (added by the first test). */
const TOTAL = N + 3;
let fake: FakeCloudflare;
const uuids: string[] = [];
const name = (i: number) => `tenant-${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  fake = await startFakeCloudflare({ logBodies: false });
  for (let i = 0; i < N; i++) uuids.push((await fake.addDatabase(name(i))).uuid);
  await fake.addDatabase('other-db');
  await fake.addDatabase('tenant-late');
});
afterAll(() => fake?.close());

type ListItem = { uuid: string; name: string; version: string; created_at: string };
const listPath = (query: string) => `/accounts/${fake.accountId}/d1/database?${query}`;

describe('a fake holding a fleet', () => {
  it('adding 1,200 databases started nothing; querying them concurrently rebinds Miniflare once, and each database is its own', async () => {
    expect(fake.rebinds).toBe(0);
    // A fresh database's first dump is what the fake files as its first snapshot without starting it.
    expect((await fake.database(uuids[0]!).dump()).trim()).toBe(EMPTY_DUMP.join('\n'));
    const from = fake.counts.total;
    // 32 at a time, as a client with a connection pool sends them.
    const writes: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < N; i = next++) {
          const r = await callApi(fake, 'POST', d1Path(fake, uuids[i]!, '/query'), {
            body: { batch: [{ sql: 'CREATE TABLE t (tenant TEXT)' }, { sql: 'INSERT INTO t VALUES (?)', params: [name(i)] }] },
          });
          if (r.status !== 200) writes.push(`${name(i)}: ${r.status} ${JSON.stringify(r.body.errors)}`);
        }
      }),
    );
    expect(writes).toEqual([]);
    expect(fake.rebinds).toBe(1);
    expect(fake.counts.total - from).toBe(N);
    for (const i of [0, 1, 599, N - 1]) {
      expect(await fake.database(uuids[i]!).query('SELECT tenant FROM t')).toEqual([{ tenant: name(i) }]);
      expect(fake.counts.byDatabase.get(uuids[i]!)).toBe(1);
    }
    // A database added later is bound on first use, with one more rebind.
    const late = await fake.addDatabase('tenant-later');
    expect((await callApi(fake, 'POST', d1Path(fake, late.uuid, '/query'), { body: { sql: 'SELECT 1' } })).status).toBe(200);
    expect(fake.rebinds).toBe(2);
  }, 180_000);

  it('lists all of them in one page of 10,000, or page by page, with result_info as D1 gives it', async () => {
    const all = await callApi<ListItem[]>(fake, 'GET', listPath('per_page=10000'));
    expect(all.body.result).toHaveLength(TOTAL);
    expect(all.body.result_info).toEqual({ page: 1, per_page: 10000, count: TOTAL, total_count: TOTAL });
    expect(all.body.result[0]).toEqual({ uuid: uuids[0], name: name(0), version: 'production', created_at: expect.any(String) });

    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const r = await callApi<ListItem[]>(fake, 'GET', listPath(`name=tenant-&page=${page}&per_page=500`));
      expect(r.body.result_info).toMatchObject({ page, per_page: 500, total_count: N + 2 });
      seen.push(...r.body.result.map((d) => d.name));
      if (r.body.result.length < 500) break;
    }
    expect(seen).toHaveLength(N + 2);
    expect(new Set(seen).size).toBe(N + 2);
    expect(seen.includes('other-db')).toBe(false);

    const beyond = await callApi<ListItem[]>(fake, 'GET', listPath('page=99&per_page=100'));
    expect(beyond.body.result).toEqual([]);
    expect(beyond.body.result_info).toEqual({ page: 99, per_page: 100, count: 0, total_count: TOTAL });
  });

  it('refuses a page size outside 10..10,000 and a page below 1 (400, code 7400)', async () => {
    for (const q of ['per_page=5', 'per_page=10001', 'page=0', 'per_page=abc']) {
      const r = await callApi(fake, 'GET', listPath(q));
      expect(r.status, q).toBe(400);
      expect(r.body.errors[0]!.code).toBe(7400);
    }
  });

  it('the latency knob delays every answer; counts go by status', async () => {
    fake.setLatency(50);
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => callApi(fake, 'GET', '/user/tokens/verify')));
    const elapsed = Date.now() - started;
    fake.setLatency(0);
    expect(elapsed).toBeGreaterThanOrEqual(50);
    expect(fake.counts.byStatus.get(200)).toBeGreaterThan(N);
    expect(fake.counts.byStatus.get(400)).toBe(4);
  });

  it("timeTravel 'on-demand': no snapshot per write, yet a bookmark taken before a write restores; a timestamp lookup is refused", async () => {
    const lean = await startFakeCloudflare({ timeTravel: 'on-demand' });
    try {
      const { uuid } = await lean.addDatabase('lean');
      const q = (sql: string) => callApi(lean, 'POST', d1Path(lean, uuid, '/query'), { body: { sql } });
      await q('CREATE TABLE t (a)');
      await q('INSERT INTO t VALUES (1)');
      // Only the first (empty) snapshot so far: writes took none.
      expect(lean.database(uuid).bookmarks()).toHaveLength(1);
      const mark = (await callApi<{ bookmark: string }>(lean, 'GET', d1Path(lean, uuid, '/time_travel/bookmark'))).body.result.bookmark;
      await q('INSERT INTO t VALUES (2)');
      const restored = await callApi(lean, 'POST', d1Path(lean, uuid, `/time_travel/restore?bookmark=${mark}`));
      expect(restored.status).toBe(200);
      expect(await lean.database(uuid).query('SELECT a FROM t')).toEqual([{ a: 1 }]);
      const byTime = await callApi(lean, 'GET', d1Path(lean, uuid, `/time_travel/bookmark?timestamp=${new Date().toISOString()}`));
      expect(byTime.status).toBe(400);
      expect(byTime.body.errors[0]!.message).toContain("timeTravel: 'every-write'");
    } finally {
      await lean.close();
    }
  });
});
