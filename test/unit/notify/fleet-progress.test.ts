import { describe, expect, it } from 'vitest';
import { formatEta, plainLineDue, renderProgressBar, renderProgressLine, trackFleet, type FleetRunEvent, type FleetProgress } from '../../../src/notify/fleet-progress.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** A fleet of `total` in the given state, built through the real event tracker. */
function fleet(total: number, s: { ok: number; failed?: number; running?: number; skipped?: number }, elapsedMs: number): FleetProgress {
  const fleets = new Map<string, FleetProgress>();
  const base = { runId: 'r', environment: 'production', binding: 'DB' };
  trackFleet(fleets, { type: 'fleet-start', ...base, total, canaries: 0, concurrency: 16, at: at(0) } as FleetRunEvent);
  let n = 0;
  const put = (status: string, k: number) => {
    for (let i = 0; i < k; i += 1) {
      const tenant = `t${n++}`;
      trackFleet(fleets, { type: 'tenant', ...base, tenant, status: 'running', at: at(elapsedMs) } as FleetRunEvent);
      if (status !== 'running') trackFleet(fleets, { type: 'tenant', ...base, tenant, status, at: at(elapsedMs) } as FleetRunEvent);
    }
  };
  put('applied', s.ok);
  put('failed', s.failed ?? 0);
  put('skipped', s.skipped ?? 0);
  put('running', s.running ?? 0);
  return fleets.get('production/DB')!;
}

describe('fleet progress rendering', () => {
  it('the live line of the issue: bar, counts, rate and ETA', () => {
    const f = fleet(1000, { ok: 508, failed: 2, running: 16 }, 12_350);
    // 510 of 1000 done in 12.35 s: 41.3/s, 490 left, 12 s to go; 26 cells of bar fit in 100 columns, half of them full.
    expect(renderProgressBar(f, T0 + 12_350, 100)).toBe(`production/DB  [${'#'.repeat(13)}${'.'.repeat(13)}]  510/1000  ok 508  failed 2  running 16  41.3/s  ETA 12s`);
  });

  it('never wider than the terminal; the bar shrinks, then goes', () => {
    const f = fleet(1000, { ok: 500, failed: 0, running: 8 }, 10_000);
    for (const width of [40, 60, 75, 80, 120, 200]) expect(renderProgressBar(f, T0 + 10_000, width).length).toBeLessThanOrEqual(width);
    expect(renderProgressBar(f, T0 + 10_000, 90)).toMatch(/^production\/DB  \[#+\.+\]  500\/1000  ok 500/);
    // tighter: single spaces keep a bar; tighter still: figures only, cut to the width
    expect(renderProgressBar(f, T0 + 10_000, 80)).toMatch(/^production\/DB \[#{7}\.{7}\] 500\/1000 ok 500/);
    expect(renderProgressBar(f, T0 + 10_000, 60)).not.toContain('[');
    expect(renderProgressBar(f, T0 + 10_000, 40)).toMatch(/…$/);
    expect(renderProgressBar(f, T0 + 10_000, 200)).toContain(`[${'#'.repeat(15)}${'.'.repeat(15)}]`);
  });

  it('the CI line: whole rates, no bar, no control sequence', () => {
    const f = fleet(1000, { ok: 510, failed: 2, running: 16 }, 12_500);
    const line = renderProgressLine(f, T0 + 12_500);
    expect(line).toBe('production/DB: 512/1000 done, 2 failed, 16 running, 41/s, ETA 12s');
    expect(line).not.toMatch(/\u001b/);
  });

  it('before any tenant finished there is no rate to show; a finished fleet says how long it took', () => {
    const start = fleet(10, { ok: 0, running: 3 }, 500);
    expect(renderProgressLine(start, T0 + 500)).toBe('production/DB: 0/10 done, 0 failed, 3 running');
    const fleets = new Map([['production/DB', fleet(4, { ok: 3, skipped: 1 }, 2000)]]);
    trackFleet(fleets, { type: 'fleet-end', environment: 'production', binding: 'DB', at: at(2000) } as FleetRunEvent);
    expect(renderProgressLine(fleets.get('production/DB')!, T0 + 99_000)).toBe('production/DB: 4/4 done, 0 failed, 1 skipped, 0 running, 2.0/s, took 2s');
  });

  it('a repeated tenant event never counts twice', () => {
    const f = fleet(3, { ok: 1 }, 1000);
    const fleets = new Map([['production/DB', f]]);
    trackFleet(fleets, { type: 'tenant', environment: 'production', binding: 'DB', tenant: 't0', status: 'applied', at: at(1000) } as FleetRunEvent);
    expect([f.ok, f.running, f.total]).toEqual([1, 0, 3]);
  });

  it('ETA reads in seconds, minutes, hours', () => {
    expect([formatEta(400), formatEta(12_000), formatEta(125_000), formatEta(3_725_000)]).toEqual(['1s', '12s', '2m05s', '1h02m']);
  });
});

describe('plainLineDue: a CI line every 10% or every N seconds', () => {
  it('prints at each 10% step and at the end, not for every tenant', () => {
    const f = fleet(100, { ok: 0 }, 0);
    const fleets = new Map([['production/DB', f]]);
    let last = { at: T0, done: 0 };
    const printedAt: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      trackFleet(fleets, { type: 'tenant', environment: 'production', binding: 'DB', tenant: `x${i}`, status: 'applied', at: at(i * 10) } as FleetRunEvent);
      const now = T0 + i * 10;
      if (plainLineDue(f, last, now)) {
        printedAt.push(f.ok);
        last = { at: now, done: f.ok };
      }
    }
    expect(printedAt).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('prints after N seconds of progress even inside one 10% step', () => {
    const f = fleet(1000, { ok: 3 }, 0);
    expect(plainLineDue(f, { at: T0, done: 1 }, T0 + 9_999, { everyMs: 10_000, everyFraction: 0.1 })).toBe(false);
    expect(plainLineDue(f, { at: T0, done: 1 }, T0 + 10_000, { everyMs: 10_000, everyFraction: 0.1 })).toBe(true);
    // nothing new finished: nothing to say, however long it has been
    expect(plainLineDue(f, { at: T0, done: 3 }, T0 + 60_000)).toBe(false);
  });
});
