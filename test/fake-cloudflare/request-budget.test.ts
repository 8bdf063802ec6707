/**
 * One request budget per run keeps promote under Cloudflare's API rate limit: against a fake that
 * enforces a (small) limit the way Cloudflare does, a burst waits for the window instead of
 * collecting 429s, and a wait longer than the run may wait fails before the request is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareApi, apiOptionsOf, cloudflareSettingsFromEnv } from '../../src/targets/cloudflare/cloudflare-api.js';

const apiOptionsFromEnv = (env: Record<string, string>) => apiOptionsOf(cloudflareSettingsFromEnv(env));
import { RateLimitWaitTooLong } from '../../src/targets/cloudflare/request-budget.js';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

const LIMIT = { requests: 6, windowMs: 1500 };
let fake: FakeCloudflare;

beforeAll(async () => {
  fake = await startFakeCloudflare({ rateLimit: LIMIT });
});
afterAll(() => fake?.close());

const client = (extra: Record<string, unknown> = {}) =>
  new CloudflareApi({ token: fake.token, accountId: fake.accountId, baseUrl: fake.url }, { rateLimit: LIMIT, maxRetries: 0, ...extra });

async function windowPassed(): Promise<void> {
  await new Promise((r) => setTimeout(r, LIMIT.windowMs + 50));
}

describe('the per-run request budget against a rate-limiting fake', () => {
  it('the fake refuses a burst past its limit with 429 (the problem the budget prevents)', async () => {
    await windowPassed();
    const from = fake.requests.length;
    const statuses = await Promise.all(Array.from({ length: LIMIT.requests + 2 }, () => fetch(`${fake.url}/user/tokens/verify`, { headers: { authorization: `Bearer ${fake.token}` } }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(fake.requests.slice(from).filter((r) => r.status === 429)[0]!.response).toContain('971');
  });

  it('a burst of 2.5x the limit, sequential and concurrent, waits for the window and gets no 429', async () => {
    await windowPassed();
    const api = client();
    const from = fake.requests.length;
    const started = Date.now();
    for (let i = 0; i < 8; i++) await api.call('GET', '/user/tokens/verify', { safe: true });
    await Promise.all(Array.from({ length: 7 }, () => api.call('GET', `${api.accountPath}/d1/database`, { safe: true })));
    const elapsed = Date.now() - started;
    const sent = fake.requests.slice(from);
    expect(sent).toHaveLength(15);
    expect(sent.filter((r) => r.status === 429)).toEqual([]);
    // 15 requests at 6 per 1.5 s need two full windows of waiting
    expect(elapsed).toBeGreaterThanOrEqual(2 * LIMIT.windowMs - 100);
    expect(api.budget.waitedMs).toBeGreaterThan(0);
    await api.close();
  });

  it('past the allowed wait it fails clearly, naming the limit, without sending the request', async () => {
    await windowPassed();
    const api = client({ maxRateWaitMs: 200 });
    const from = fake.requests.length;
    for (let i = 0; i < LIMIT.requests; i++) await api.call('GET', '/user/tokens/verify', { safe: true });
    const error = await api.call('GET', '/user/tokens/verify', { safe: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitWaitTooLong);
    expect((error as Error).message).toContain('6 requests per 1500 ms');
    expect((error as Error).message).toContain('it was not sent');
    expect(fake.requests.slice(from)).toHaveLength(LIMIT.requests);
    await api.close();
  });

  it('PROMOTE_API_RATE_LIMIT configures it; Cloudflare\'s 1,200 per 5 minutes by default; nonsense is refused', () => {
    expect(apiOptionsFromEnv({ PROMOTE_API_RATE_LIMIT: '60/10s' }).rateLimit).toEqual({ requests: 60, windowMs: 10_000 });
    const api = new CloudflareApi({ token: 't', accountId: 'a', baseUrl: fake.url });
    expect(api.budget.describe()).toBe('1200 requests per 5 min');
    expect(() => apiOptionsFromEnv({ PROMOTE_API_RATE_LIMIT: 'lots' })).toThrow(/expected requests per window, like 1200\/5m/);
  });
});
