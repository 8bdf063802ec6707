import { describe, expect, it } from 'vitest';
import type { RunEvent, RunSink } from '../../../src/events/run-events.js';
import { fanOut } from '../../../src/notify/fan-out.js';
import { successRun } from './runs.js';

const [first, second] = successRun as [RunEvent, RunEvent, ...RunEvent[]];

function recorder(): RunSink & { seen: string[]; closed: boolean } {
  const sink = {
    seen: [] as string[],
    closed: false,
    write: (e: RunEvent) => void sink.seen.push(e.type),
    close: () => void (sink.closed = true),
  };
  return sink;
}

describe('fan-out', () => {
  it('delivers every event to every sink, synchronous sinks before write() returns', () => {
    const a = recorder();
    const b = recorder();
    const fan = fanOut([a, b], () => {});
    expect(fan.write(first)).toBeUndefined();
    expect(a.seen).toEqual(['run.started']);
    expect(b.seen).toEqual(['run.started']);
  });

  it('isolates a sink that throws: the others still get the event and the error is reported', () => {
    const errors: [number, unknown][] = [];
    const after = recorder();
    const broken: RunSink = {
      write() {
        throw new Error('terminal gone');
      },
    };
    const fan = fanOut([broken, after], (i, e) => errors.push([i, e]));
    expect(() => fan.write(first)).not.toThrow();
    fan.write(second);
    expect(after.seen).toEqual(['run.started', 'step.started']);
    expect(errors.map(([i, e]) => [i, (e as Error).message])).toEqual([
      [0, 'terminal gone'],
      [0, 'terminal gone'],
    ]);
  });

  it('isolates a sink that rejects, and keeps an async sink in event order', async () => {
    const errors: [number, unknown][] = [];
    const order: string[] = [];
    const slow: RunSink = {
      async write(e) {
        await new Promise((r) => setTimeout(r, e.type === 'run.started' ? 20 : 0));
        order.push(e.type);
      },
    };
    const rejecting: RunSink = { write: () => Promise.reject(new Error('slack 500')) };
    const after = recorder();
    const fan = fanOut([slow, rejecting, after], (i, e) => errors.push([i, e]));
    const w1 = fan.write(first);
    const w2 = fan.write(second);
    expect(after.seen).toEqual(['run.started', 'step.started']);
    // While an async sink is busy, write() hands back a promise, and it settles only when that
    // sink has taken the event: the slow first event (20 ms) is not overtaken by the second.
    expect(w1).toBeInstanceOf(Promise);
    expect(w2).toBeInstanceOf(Promise);
    expect(order).toEqual([]);
    await expect(w1).resolves.toBeUndefined();
    expect(order[0]).toBe('run.started');
    await expect(w2).resolves.toBeUndefined();
    expect(order).toEqual(['run.started', 'step.started']);
    expect(errors.map(([i, e]) => [i, (e as Error).message])).toEqual([
      [1, 'slack 500'],
      [1, 'slack 500'],
    ]);
  });

  it('survives an error reporter that throws', () => {
    const after = recorder();
    const fan = fanOut([{ write: () => { throw new Error('x'); } }, after], () => {
      throw new Error('reporter broken too');
    });
    expect(() => fan.write(first)).not.toThrow();
    expect(after.seen).toEqual(['run.started']);
  });

  it('closes every sink, even when one fails to close', async () => {
    const errors: number[] = [];
    const a = recorder();
    const b = recorder();
    const noClose: RunSink = { write: () => {} };
    const failing: RunSink = { write: () => {}, close: async () => Promise.reject(new Error('flush failed')) };
    const fan = fanOut([a, failing, noClose, b], (i) => errors.push(i));
    await fan.close?.();
    expect([a.closed, b.closed]).toEqual([true, true]);
    expect(errors).toEqual([1]);
  });
});
