import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callApi, d1Path } from './api-client.js';
import { seededRandom } from './faults.js';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

let fake: FakeCloudflare;
let uuid: string;

beforeAll(async () => {
  fake = await startFakeCloudflare({ accountId: '0123456789abcdef0123456789abcdef', token: 'test-token' });
  ({ uuid } = await fake.addDatabase('faults'));
  await fake.database(uuid).query('CREATE TABLE t (v INTEGER)');
});
afterAll(() => fake?.close());
beforeEach(() => {
  fake.faults.clear();
  fake.setLatency(0);
});

describe('envelope and auth', () => {
  it('serves the base URL, the token check and the account lookups wrangler makes', async () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(fake.env).toEqual({ CLOUDFLARE_API_BASE_URL: fake.url, CLOUDFLARE_API_TOKEN: 'test-token', CLOUDFLARE_ACCOUNT_ID: fake.accountId });
    const verify = await callApi(fake, 'GET', '/user/tokens/verify');
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({ success: true, errors: [], messages: [], result: { id: expect.any(String), status: 'active' } });
    const accounts = await callApi<{ id: string }[]>(fake, 'GET', '/accounts');
    expect(accounts.body.result.map((a) => a.id)).toEqual([fake.accountId]);
    expect(accounts.body.result_info).toMatchObject({ page: 1, count: 1, total_count: 1 });
    const memberships = await callApi<{ account: { id: string } }[]>(fake, 'GET', '/memberships');
    expect(memberships.body.result[0]?.account.id).toBe(fake.accountId);
  });

  it('refuses every route without the bearer token (401) or with another token (403), code 10000', async () => {
    for (const path of ['/user/tokens/verify', `/accounts/${fake.accountId}/d1/database`, d1Path(fake, uuid, '/query')]) {
      const missing = await callApi(fake, 'GET', path, { token: null });
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null });
      const wrong = await callApi(fake, 'GET', path, { token: 'nope' });
      expect(wrong.status).toBe(403);
      expect(wrong.body.errors[0]?.code).toBe(10000);
    }
    const otherAccount = await callApi(fake, 'GET', '/accounts/ffffffffffffffffffffffffffffffff/d1/database');
    expect(otherAccount.status).toBe(403);
    // A refused write did not run.
    await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { token: null, body: { sql: 'INSERT INTO t VALUES (1)' } });
    expect(await fake.database(uuid).query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('answers unknown routes with 404 code 7003 in the envelope', async () => {
    const reply = await callApi(fake, 'GET', `/accounts/${fake.accountId}/nothing-here`);
    expect(reply.status).toBe(404);
    expect(reply.body.errors[0]?.code).toBe(7003);
  });

  it('logs every request: method, path, query, headers with Authorization, body, status, time', async () => {
    const before = fake.requests.length;
    const t0 = Date.now();
    await callApi(fake, 'POST', `${d1Path(fake, uuid, '/query')}?x=1`, { body: { sql: 'SELECT 1' } });
    const entry = fake.requests[before]!;
    expect(entry).toMatchObject({ method: 'POST', path: d1Path(fake, uuid, '/query'), query: { x: '1' }, status: 200, body: '{"sql":"SELECT 1"}' });
    expect(entry.headers.authorization).toBe('Bearer test-token');
    expect(entry.time).toBeGreaterThanOrEqual(t0 - 5);
    expect(JSON.parse(entry.response!).success).toBe(true);
  });
});

describe('latency', () => {
  it('delays every answer by the configured time', async () => {
    fake.setLatency(200);
    const t0 = Date.now();
    await callApi(fake, 'GET', '/user/tokens/verify');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });
});

describe('faults', () => {
  it('429 carries Retry-After and code 971, and the request is not processed', async () => {
    fake.faults.retryAfterSeconds = 7;
    fake.faults.failNext(1, '429', { path: /\/query$/ });
    const refused = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'INSERT INTO t VALUES (1)' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(refused.body).toEqual({ success: false, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], messages: [], result: null });
    expect(await fake.database(uuid).query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
    const next = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'SELECT 1' } });
    expect(next.status).toBe(200);
    fake.faults.retryAfterSeconds = 1;
  });

  it('failNext counts only requests matching method and path', async () => {
    fake.faults.failNext(2, '500', { method: 'POST', path: /\/query$/ });
    expect((await callApi(fake, 'GET', '/user/tokens/verify')).status).toBe(200);
    expect((await callApi(fake, 'POST', d1Path(fake, uuid, '/raw'), { body: { sql: 'SELECT 1' } })).status).toBe(200);
    const failed = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'SELECT 1' } });
    expect(failed.status).toBe(500);
    expect(failed.body.success).toBe(false);
    expect((await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'SELECT 1' } })).status).toBe(500);
    expect((await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'SELECT 1' } })).status).toBe(200);
    expect(fake.faults.pending).toBe(0);
  });

  it('reset destroys the socket: the client sees a network error, not an answer', async () => {
    fake.faults.failNext(1, 'reset');
    const error = await callApi(fake, 'GET', '/user/tokens/verify').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String((error as Error & { cause?: { code?: string; message?: string } }).cause?.code ?? (error as { cause?: Error }).cause?.message)).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/);
    expect(fake.requests.at(-1)).toMatchObject({ fault: 'reset', status: 0 });
    expect((await callApi(fake, 'GET', '/user/tokens/verify')).status).toBe(200);
  });

  it('hang never answers: the client times out', async () => {
    fake.faults.failNext(1, 'hang');
    const t0 = Date.now();
    const error = await callApi(fake, 'GET', '/user/tokens/verify', { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(fake.requests.at(-1)).toMatchObject({ fault: 'hang', status: 0 });
  });

  it("phase 'after' applies the request, then loses the answer", async () => {
    fake.faults.failNext(1, '500', { path: /\/query$/, phase: 'after' });
    const reply = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'INSERT INTO t VALUES (42)' } });
    expect(reply.status).toBe(500);
    expect(await fake.database(uuid).query('SELECT v FROM t')).toEqual([{ v: 42 }]);
    await fake.database(uuid).query('DELETE FROM t');
  });

  it('failRate is reproducible for a seed and draws only the given kinds', async () => {
    const statuses = async (seed: number): Promise<number[]> => {
      fake.faults.clear();
      fake.faults.failRate(0.5, ['429', '500'], seed, { path: /tokens\/verify/ });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await callApi(fake, 'GET', '/user/tokens/verify')).status);
      return out;
    };
    const a = await statuses(1234);
    const b = await statuses(1234);
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([200, 429, 500]));
    expect(a.filter((s) => s !== 200).length).toBeGreaterThan(3);
    expect(a.filter((s) => s !== 200).length).toBeLessThan(17);
    expect((await callApi(fake, 'GET', `/accounts/${fake.accountId}/d1/database`)).status).toBe(200);
  });

  it('seededRandom is deterministic and in [0, 1)', () => {
    const r1 = seededRandom(7);
    const r2 = seededRandom(7);
    const xs = Array.from({ length: 100 }, () => r1());
    expect(xs).toEqual(Array.from({ length: 100 }, () => r2()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('close() ends even with a request left hanging', async () => {
    const other = await startFakeCloudflare();
    other.faults.failNext(1, 'hang');
    const pending = fetch(`${other.url}/user/tokens/verify`, { headers: { authorization: `Bearer ${other.token}` } }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await other.close();
    expect(await pending).toBeInstanceOf(TypeError);
  });
});
