import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep, soakInterval, streakSpacing } from '../../../src/verify/backoff.js';

describe('backoffDelay', () => {
  it('doubles from 100 ms and caps at 2 s (random = 1: the full delay)', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, () => 1))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('jitters within [half, full] of the delay', () => {
    expect(backoffDelay(3, () => 0)).toBe(200);
    expect(backoffDelay(3, () => 0.5)).toBe(300);
    expect(backoffDelay(1, () => Number.NaN)).toBe(50);
    expect(streakSpacing(() => 1)).toBe(100);
  });
});

describe('soakInterval', () => {
  it('defaults to 1 s, soak/5 when shorter, never below 50 ms; a configured interval wins', () => {
    expect(soakInterval(60_000)).toBe(1000);
    expect(soakInterval(2000)).toBe(400);
    expect(soakInterval(100)).toBe(50);
    expect(soakInterval(60_000, 250)).toBe(250);
    expect(soakInterval(60_000, 10)).toBe(50);
  });
});

describe('sleep', () => {
  it('rejects with the signal reason when aborted, before or during the wait', async () => {
    const reason = new Error('stop');
    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('resolves after the delay', async () => {
    await expect(sleep(5)).resolves.toBeUndefined();
  });
});
