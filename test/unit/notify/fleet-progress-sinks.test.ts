/** A fleet's progress in the two terminal sinks: a redrawn bar on a TTY, periodic plain lines in CI. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { createLiveSink } from '../../../src/notify/live-sink.js';
import { createPlainSink } from '../../../src/notify/plain-sink.js';
import { recordingOutput } from './runs.js';

const T0 = Date.parse('2026-05-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const runId = 'run-1';

/** A production stage whose migrate step runs a fleet of `total`, one tenant finishing every 100 ms; `failing` fail. */
function fleetRun(total: number, failing: readonly number[] = []): RunEvent[] {
  const events: RunEvent[] = [
    { type: 'run.started', runId, at: at(0), pipeline: 'p', to: 'production', stages: ['production'], dryRun: false, resumed: false },
    { type: 'step.started', runId, at: at(0), stage: 'production', step: 'migrate' },
    { type: 'fleet-start', runId, at: at(0), environment: 'production', binding: 'DB', total, canaries: 0, concurrency: 4 },
  ];
  for (let i = 0; i < total; i += 1) {
    const tenant = `t${String(i).padStart(3, '0')}`;
    events.push({ type: 'tenant', runId, at: at(i * 100), environment: 'production', binding: 'DB', tenant, status: 'running' });
    events.push({ type: 'tenant', runId, at: at(i * 100 + 100), environment: 'production', binding: 'DB', tenant, status: failing.includes(i) ? 'failed' : 'applied', ...(failing.includes(i) ? { error: 'no such table: x' } : {}) });
  }
  return events;
}

describe('plain sink: a fleet in CI', () => {
  it('a progress line every 10%, failures by name, no control sequence, not one line per healthy tenant', () => {
    const output = recordingOutput(false);
    const sink = createPlainSink(output);
    for (const e of fleetRun(50, [7])) sink.write(e);
    const text = output.lines.join('\n');
    expect(text).not.toMatch(/\u001b/);
    const progress = output.lines.filter((l) => l.includes('production/DB:'));
    expect(progress.map((l) => l.replace(/^.*production\/DB: /, ''))).toEqual([
      '5/50 done, 0 failed, 0 running, 10/s, ETA 5s',
      '10/50 done, 1 failed, 0 running, 10/s, ETA 4s',
      '15/50 done, 1 failed, 0 running, 10/s, ETA 4s',
      '20/50 done, 1 failed, 0 running, 10/s, ETA 3s',
      '25/50 done, 1 failed, 0 running, 10/s, ETA 3s',
      '30/50 done, 1 failed, 0 running, 10/s, ETA 2s',
      '35/50 done, 1 failed, 0 running, 10/s, ETA 2s',
      '40/50 done, 1 failed, 0 running, 10/s, ETA 1s',
      '45/50 done, 1 failed, 0 running, 10/s, ETA 1s',
      '50/50 done, 1 failed, 0 running, 10/s, ETA 0s',
    ]);
    expect(text).toContain('DB/t007 failed: no such table: x');
    expect(output.lines.length).toBeLessThan(20);
  });
});

describe('live sink: a fleet on a terminal', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 }));
  afterEach(() => vi.useRealTimers());

  it('one bar line under the stage, redrawn by the timer with counts, rate and ETA; failed tenants named', () => {
    const writes: string[] = [];
    const sink = createLiveSink(recordingOutput(false), { stream: { columns: 100, rows: 30, write: (s: string) => void writes.push(s) }, frameMs: 100 });
    const events = fleetRun(20, [3]);
    for (const e of events.slice(0, 3 + 2 * 10)) sink.write(e);
    // 10 tenants finished in the 1 s the clock moves
    vi.advanceTimersByTime(1000);
    const frame = writes.at(-1)!;
    // redrawn in place: cursor up over the previous frame, each line cleared
    expect(frame).toMatch(/^\u001b\[\d+A/);
    const lines = frame.replace(/\u001b\[\d*[AJ]/g, '').split('\n').map((l) => l.replace(/\u001b\[2K/g, ''));
    const bar = lines.find((l) => l.includes('production/DB'))!;
    expect(bar).toBe(`      production/DB  [${'#'.repeat(13)}${'.'.repeat(13)}]  10/20  ok 9  failed 1  running 0  10.0/s  ETA 1s`);
    expect(bar.length).toBeLessThan(100);
    expect(lines).toContain('        failed: t003');
    sink.write({ type: 'summary', runId, at: at(3000), result: 'failed', exitCode: 1, stages: [], durationMs: 3000 });
  });
});
