/** The verify step against a real node:http server on 127.0.0.1 (undici is not mocked). */
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckEvidence } from '../../../src/events/run-events.js';
import { runHealthChecks } from '../../../src/verify/health-check.js';
import { closedPortUrl, healthCheck, json, startHealthServer, type Handler, type HealthServer } from './health-server.js';

let servers: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(handler: Handler): Promise<HealthServer> {
  const server = await startHealthServer(handler);
  servers.push(server);
  return server;
}

describe('runHealthChecks: one attempt', () => {
  it('passes a healthy endpoint and keeps the evidence', async () => {
    const server = await serve((_req, res) => json(res, 200, { ok: true }));
    const { ok, results } = await runHealthChecks([healthCheck({ url: '/health' })], server.url);
    expect(ok).toBe(true);
    const [result] = results;
    expect(result).toMatchObject({ name: 'GET /health', url: `${server.url}/health`, ok: true, inconclusive: false });
    expect(result!.reason).toBeUndefined();
    expect(result!.attempts).toEqual([{ attempt: 1, ok: true, status: 200, latencyMs: expect.any(Number), bodyExcerpt: '{"ok":true}' }]);
    expect(result!.durationMs).toBeGreaterThanOrEqual(0);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /health']);
  });

  it('sends the method and headers of the check', async () => {
    const server = await serve((req, res) => res.writeHead(req.headers['x-probe'] === 'yes' ? 204 : 400).end());
    const check = healthCheck({ url: '/ping', name: 'ping', method: 'HEAD', headers: { 'x-probe': 'yes' }, expect: { status: 204 } });
    const { ok, results } = await runHealthChecks([check], server.url);
    expect(ok).toBe(true);
    expect(results[0]!.name).toBe('ping');
    expect(server.requests[0]!.method).toBe('HEAD');
  });

  it('fails on a wrong status, with evidence', async () => {
    const server = await serve((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance'));
    const { ok, results } = await runHealthChecks([healthCheck({ url: '/health', retries: 0 })], server.url);
    expect(ok).toBe(false);
    expect(results[0]).toMatchObject({ ok: false, inconclusive: false, reason: 'status 503, expected 200 (all 1 attempt(s) failed)' });
    expect(results[0]!.attempts[0]).toMatchObject({ ok: false, status: 503, bodyExcerpt: 'maintenance', reason: 'status 503, expected 200' });
    expect(results[0]!.attempts[0]!.noAnswer).toBeUndefined();
  });

  it('matches a JSON subset (nested objects, arrays) and explains a mismatch', async () => {
    const body = { ok: true, version: '1.4.0', deps: { db: { ok: false, ms: 4 } }, regions: ['weur', 'enam'] };
    const server = await serve((_req, res) => json(res, 200, body));
    const checks = [
      healthCheck({ url: '/a', retries: 0, expect: { json: { ok: true, regions: ['weur', 'enam'], deps: { db: { ms: 4 } } } } }),
      healthCheck({ url: '/b', retries: 0, expect: { json: { deps: { db: { ok: true } } } } }),
      healthCheck({ url: '/c', retries: 0, expect: { json: { regions: ['weur'] } } }),
    ];
    const { ok, results } = await runHealthChecks(checks, server.url);
    expect(ok).toBe(false);
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(results[1]!.attempts[0]!.reason).toBe('body.deps.db.ok: expected true, got false');
    expect(results[2]!.attempts[0]!.reason).toBe('body.regions: expected 1 element(s), got 2');
  });

  it('fails when JSON is expected but the body is not JSON', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>It works</h1>'));
    const { results } = await runHealthChecks([healthCheck({ url: '/', retries: 0, expect: { json: { ok: true } } })], server.url);
    expect(results[0]!.attempts[0]).toMatchObject({ ok: false, status: 200, reason: 'body is not JSON', bodyExcerpt: '<h1>It works</h1>' });
  });

  it('keeps only the first 200 characters of a large body', async () => {
    const server = await serve((_req, res) => res.writeHead(200).end('a'.repeat(100_000)));
    const { results } = await runHealthChecks([healthCheck({ url: '/', retries: 0 })], server.url);
    expect(results[0]!.ok).toBe(true);
    expect(results[0]!.attempts[0]!.bodyExcerpt).toBe('a'.repeat(200));
  });

  it('fails when the answer is slower than maxLatency', async () => {
    const server = await serve((_req, res) => setTimeout(() => json(res, 200, { ok: true }), 120));
    const { results } = await runHealthChecks([healthCheck({ url: '/slow', retries: 0, expect: { maxLatency: 50 } })], server.url);
    expect(results[0]!.ok).toBe(false);
    expect(results[0]!.attempts[0]!.reason).toMatch(/^latency \d+ ms > max 50 ms$/);
    expect(results[0]!.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(100);
    expect(results[0]!.attempts[0]!.status).toBe(200);
  });

  it('uses an absolute URL as it is', async () => {
    const server = await serve((_req, res) => json(res, 200, { ok: true }));
    const elsewhere = await closedPortUrl();
    const { ok, results } = await runHealthChecks([healthCheck({ url: `${server.url}/abs?x=1` })], elsewhere);
    expect(ok).toBe(true);
    expect(results[0]!.url).toBe(`${server.url}/abs?x=1`);
  });
  it('reports a URL that cannot be resolved as a failed check without attempts', async () => {
    const { ok, results } = await runHealthChecks([healthCheck({ url: '/health' })], 'not a url');
    expect(ok).toBe(false);
    expect(results[0]).toMatchObject({ ok: false, inconclusive: false, attempts: [], reason: 'invalid URL /health (base not a url)' });
  });
});

describe('runHealthChecks: no answer', () => {
  it('a timeout on every attempt is an inconclusive failure', async () => {
    const server = await serve(() => undefined); // never answers
    const { ok, results } = await runHealthChecks([healthCheck({ url: '/hang', timeout: 150, retries: 1 })], server.url);
    expect(ok).toBe(false);
    expect(results[0]).toMatchObject({ ok: false, inconclusive: true, reason: 'could not decide: no answer in 2 attempt(s) (timeouts only)' });
    expect(results[0]!.attempts).toHaveLength(2);
    for (const a of results[0]!.attempts) expect(a).toMatchObject({ ok: false, noAnswer: true, reason: 'no answer within 150 ms' });
    expect(results[0]!.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('connection refused on every attempt is an inconclusive failure', async () => {
    const url = await closedPortUrl();
    const { results } = await runHealthChecks([healthCheck({ url: '/health', retries: 1 })], url);
    expect(results[0]).toMatchObject({ ok: false, inconclusive: true, reason: 'could not decide: no answer in 2 attempt(s) (connection errors only: connection refused)' });
    expect(results[0]!.attempts.map((a) => [a.noAnswer, a.reason])).toEqual([[true, 'connection refused'], [true, 'connection refused']]);
  });

  it('a headers-then-stall answer is a failure with its status, not inconclusive', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"ok":');
    });
    const { results } = await runHealthChecks([healthCheck({ url: '/', timeout: 150, retries: 0 })], server.url);
    expect(results[0]).toMatchObject({ ok: false, inconclusive: false });
    expect(results[0]!.attempts[0]).toMatchObject({ status: 200, reason: 'status 200 but body incomplete within 150 ms' });
  });
});

describe('runHealthChecks: retries, streaks, soak', () => {
  it('passes a flaky endpoint with retries and shows every attempt', async () => {
    const server = await serve((_req, res, hit) => (hit <= 2 ? json(res, 500, { ok: false }) : json(res, 200, { ok: true })));
    const seen: CheckEvidence[] = [];
    const { ok, results } = await runHealthChecks([healthCheck({ url: '/flaky', retries: 2 })], server.url, {
      onAttempt: (_check, evidence) => seen.push(evidence),
    });
    expect(ok).toBe(true);
    expect(results[0]!.attempts.map((a) => [a.attempt, a.ok, a.status])).toEqual([[1, false, 500], [2, false, 500], [3, true, 200]]);
    expect(seen).toEqual(results[0]!.attempts);
  });

  it('waits 100 ms * 2^n with jitter between retries (injected sleep)', async () => {
    const server = await serve((_req, res) => res.writeHead(500).end());
    const waits: number[] = [];
    const { results } = await runHealthChecks([healthCheck({ url: '/', retries: 3 })], server.url, {
      sleep: async (ms) => void waits.push(ms),
      random: () => 1,
    });
    expect(waits).toEqual([100, 200, 400]);
    expect(results[0]!.attempts).toHaveLength(4);
    expect(results[0]!.reason).toBe('status 500, expected 200 (all 4 attempt(s) failed)');
  });

  it('consecutive = 3 needs three passes in a row; a failure resets the streak', async () => {
    const pattern = [200, 500, 200, 200, 200];
    const server = await serve((_req, res, hit) => res.writeHead(pattern[hit - 1] ?? 500).end());
    const fast = { sleep: async () => undefined };
    const passing = await runHealthChecks([healthCheck({ url: '/', consecutive: 3, retries: 2 })], server.url, fast);
    expect(passing.ok).toBe(true);
    expect(passing.results[0]!.attempts.map((a) => a.ok)).toEqual([true, false, true, true, true]);
  });

  it('consecutive = 3 fails as soon as the budget (consecutive + retries) cannot finish a streak', async () => {
    const pattern = [200, 500, 200, 200, 200];
    const server = await serve((_req, res, hit) => res.writeHead(pattern[hit - 1] ?? 500).end());
    const { results } = await runHealthChecks([healthCheck({ url: '/', consecutive: 3, retries: 1 })], server.url, { sleep: async () => undefined });
    expect(results[0]!.attempts.map((a) => a.ok)).toEqual([true, false]);
    expect(results[0]).toMatchObject({
      ok: false,
      inconclusive: false,
      reason: 'status 500, expected 200 (needed 3 passes in a row, longest streak 1; 1 of 2 attempts failed)',
    });
  });

  it('soak catches a failure that appears after 150 ms', async () => {
    let firstHitAt: number | undefined;
    const server = await serve((_req, res) => {
      firstHitAt ??= Date.now();
      res.writeHead(Date.now() - firstHitAt > 150 ? 500 : 200).end();
    });
    const { ok, results } = await runHealthChecks([healthCheck({ url: '/', soak: 600 })], server.url, { soakInterval: 50 });
    expect(ok).toBe(false);
    const result = results[0]!;
    expect(result.reason).toMatch(/^failed during soak after \d+ ms: status 500, expected 200$/);
    expect(result.attempts.length).toBeGreaterThanOrEqual(3);
    expect(result.attempts.at(-1)!.ok).toBe(false);
    expect(result.durationMs).toBeLessThan(600);
  });

  it('a healthy soak keeps looking until the soak has elapsed', async () => {
    const server = await serve((_req, res) => res.writeHead(200).end());
    const { ok, results } = await runHealthChecks([healthCheck({ url: '/', soak: 250 })], server.url);
    expect(ok).toBe(true);
    // soak/5 = 50 ms between looks: about five after the first pass
    expect(results[0]!.attempts.length).toBeGreaterThanOrEqual(4);
    expect(results[0]!.durationMs).toBeGreaterThanOrEqual(240);
  });

  it('runs every check even when an earlier one fails', async () => {
    const server = await serve((req, res) => res.writeHead(req.url === '/bad' ? 500 : 200).end());
    const { ok, results } = await runHealthChecks(
      [healthCheck({ url: '/bad', retries: 0 }), healthCheck({ url: '/good' })],
      server.url,
    );
    expect(ok).toBe(false);
    expect(results.map((r) => [r.name, r.ok])).toEqual([['GET /bad', false], ['GET /good', true]]);
  });
});

describe('runHealthChecks: secrets and cancellation', () => {
  it('redact hides a token in the URL, name, body excerpt and reasons', async () => {
    const token = 'tok_s3cr3t_9f8e7d';
    const server = await serve((_req, res) => json(res, 200, { ok: false, echo: token }));
    const redact = (s: string): string => s.replaceAll(token, '[redacted]');
    const check = healthCheck({ url: `/health?token=${token}`, retries: 0, expect: { json: { echo: 'other' } } });
    const { results } = await runHealthChecks([check], server.url, { redact });
    const result = results[0]!;
    expect(JSON.stringify(result)).not.toContain(token);
    expect(result.url).toBe(`${server.url}/health?token=[redacted]`);
    expect(result.name).toBe('GET /health?token=[redacted]');
    expect(result.attempts[0]!.bodyExcerpt).toBe('{"ok":false,"echo":"[redacted]"}');
    expect(result.attempts[0]!.reason).toBe('body.echo: expected "other", got "[redacted]"');
    expect(server.requests[0]!.url).toBe(`/health?token=${token}`); // the real request still carries it
  });

  it('an abort stops a long retry loop promptly and rejects with the reason', async () => {
    const server = await serve((_req, res) => res.writeHead(503).end());
    const controller = new AbortController();
    const reason = new Error('interrupted by SIGINT');
    setTimeout(() => controller.abort(reason), 150);
    const started = Date.now();
    await expect(
      runHealthChecks([healthCheck({ url: '/', retries: 100 }), healthCheck({ url: '/next' })], server.url, { signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(400);
    const hitsAtAbort = server.requests.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(server.requests.length).toBe(hitsAtAbort);
    expect(server.requests.every((r) => r.url === '/')).toBe(true);
  });

  it('an abort cancels an in-flight request', async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await expect(runHealthChecks([healthCheck({ url: '/', timeout: 5000 })], server.url, { signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('an already-aborted signal sends nothing', async () => {
    const server = await serve((_req, res) => res.writeHead(200).end());
    const reason = new Error('already');
    await expect(runHealthChecks([healthCheck({ url: '/' })], server.url, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });
});
