import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { createLiveSink } from '../../../src/notify/live-sink.js';
import { recordingOutput, rollbackRun, successRun } from './runs.js';

function fakeTerminal(columns = 100, rows = 40) {
  const writes: string[] = [];
  return { writes, columns, rows, write: (s: string) => void writes.push(s) };
}

/** The lines a write draws, without the cursor movement and line clearing. */
const linesOf = (write: string): string[] =>
  write
    .replace(/\u001b\[\d*[AJ]/g, '')
    .split('\n')
    .slice(0, -1)
    .map((l) => l.replace(/\u001b\[2K/g, ''));

const stripColor = (s: string): string => s.replace(/\u001b\[\d+m/g, '');

describe('live sink', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-05-01T12:00:00.000Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spins on the running step, redraws in place and stops its timer at the summary', () => {
    const term = fakeTerminal();
    const sink = createLiveSink(recordingOutput(false), { stream: term });
    const [start, migrateStarted, migrateDone, ...rest] = successRun as [RunEvent, RunEvent, RunEvent, ...RunEvent[]];

    sink.write(start);
    expect(linesOf(term.writes[0]!)).toEqual([
      'promote default → production  run run-20260501-abc',
      '  · staging  pending',
      '  · production  pending',
    ]);

    sink.write(migrateStarted);
    const second = term.writes[1]!;
    expect(second.startsWith('\u001b[3A\u001b[2K')).toBe(true);
    expect(linesOf(second)).toContain('    ⠋ migrate   0 ms');

    vi.advanceTimersByTime(80);
    expect(term.writes).toHaveLength(3);
    expect(linesOf(term.writes[2]!)).toContain('    ⠙ migrate   80 ms');
    vi.advanceTimersByTime(160);
    expect(linesOf(term.writes.at(-1)!)).toContain('    ⠸ migrate   240 ms');

    sink.write(migrateDone);
    expect(linesOf(term.writes.at(-1)!)).toContain('    ✓ migrate   3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql) 45 ms');
    const count = term.writes.length;
    vi.advanceTimersByTime(400);
    expect(term.writes).toHaveLength(count); // nothing running, nothing to redraw

    for (const event of rest) sink.write(event);
    expect(vi.getTimerCount()).toBe(0);
    const finalFrame = linesOf(term.writes.at(-2)!);
    expect(finalFrame).toEqual([
      'promote default → production  run run-20260501-abc',
      '  ✓ staging  promoted  700 ms',
      '    ✓ migrate   3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql) 45 ms',
      '    ✓ deploy    version v42 (was v41) 1.5 s',
      '    ✓ verify    1/1 checks passed 50 ms',
      '  ✓ production  promoted  90 ms',
      '    ✓ migrate   no pending migrations 80 ms',
    ]);
    expect(term.writes.at(-1)).toBe('\npromoted  staging promoted, production promoted  exit 0 · 820 ms\n');

    const total = term.writes.length;
    vi.advanceTimersByTime(1000);
    sink.write(successRun[1]!);
    expect(term.writes).toHaveLength(total);
  });

  it('shows failing check evidence under the failed step and the lost writes of the rollback', () => {
    const term = fakeTerminal(200);
    const sink = createLiveSink(recordingOutput(false), { stream: term });
    for (const event of rollbackRun.slice(0, 6)) sink.write(event);
    const lines = linesOf(term.writes.at(-1)!);
    const failed = lines.indexOf('    ✗ verify    760 ms');
    expect(failed).toBeGreaterThan(0);
    expect(lines[failed + 1]).toBe('        GET /health: status 503, expected 200 (3 attempts, 412 ms, body "upstream \\"db\\" down\\nretry later")');

    for (const event of rollbackRun.slice(6)) sink.write(event);
    const final = term.writes.at(-2)!;
    expect(final).toContain('✓ rollback  writes after bookmark 00000085-0000-4e5b-8000-00000000abcd are lost: 1.2 s window');
    expect(final).toContain('  ↺ production  rolled-back  2.0 s');
    expect(term.writes.at(-1)).toContain('rolled back  staging skipped, production rolled back  exit 3 · 2.0 s');
    expect(term.writes.at(-1)).toContain('production failed verification and was rolled back');
  });

  it('prints the action of a failed rollback in the summary block', () => {
    const term = fakeTerminal();
    const sink = createLiveSink(recordingOutput(false), { stream: term });
    sink.write({
      type: 'summary',
      runId: 'r1',
      at: '2026-05-01T12:00:03.000Z',
      result: 'failed',
      exitCode: 4,
      durationMs: 3000,
      stages: [{ environment: 'production', result: 'failed', migrations: [], durationMs: 3000 }],
      action: 'roll back by hand: wrangler rollback v41',
    });
    expect(term.writes.at(-1)).toBe('\nfailed  production failed  exit 4 · 3.0 s\n  action: roll back by hand: wrangler rollback v41\n');
  });

  it('copes with a run resumed mid-pipeline and puts stages in their planned order', () => {
    const term = fakeTerminal();
    const sink = createLiveSink(recordingOutput(false), { stream: term });
    const at = '2026-05-01T12:00:00.000Z';
    sink.write({ type: 'step.succeeded', runId: 'r2', at, stage: 'production', step: 'deploy', durationMs: 900 });
    sink.write({ type: 'step.failed', runId: 'r2', at, stage: 'production', step: 'verify', durationMs: 20, error: 'connection refused' });
    expect(linesOf(term.writes.at(-1)!)).toEqual([
      'promote  run r2',
      '  ▸ production',
      '    ✓ deploy    900 ms',
      '    ✗ verify    20 ms',
      '        connection refused',
    ]);
    sink.write({ type: 'run.started', runId: 'r2', at, pipeline: 'default', to: 'production', stages: ['staging', 'production'], dryRun: true, resumed: true });
    sink.write({ type: 'run.interrupted', runId: 'r2', at, stage: 'production', step: 'rollback', message: 'SIGINT' });
    expect(linesOf(term.writes.at(-1)!)).toEqual([
      'promote default → production  run r2  dry run  resumed',
      '  · staging  pending',
      '  ▸ production',
      '    ✓ deploy    900 ms',
      '    ✗ verify    20 ms',
      '        connection refused',
      '    ! rollback  interrupted',
      '  ! interrupted: SIGINT',
    ]);
    sink.close?.();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps every frame within the terminal height and width', () => {
    const term = fakeTerminal(40, 8);
    const sink = createLiveSink(recordingOutput(true), { stream: term });
    // A finished stage folds to one line; an unfinished one with more steps than rows is cut from the top.
    for (const event of successRun.slice(0, 8)) sink.write(event);
    const at = '2026-05-01T12:00:01.000Z';
    const steps = ['preflight', 'lock', 'bookmark', 'migrate', 'deploy', 'verify', 'rollback', 'reverify'] as const;
    for (const step of steps) {
      sink.write({ type: 'step.started', runId: 'r', at, stage: 'production', step });
      vi.advanceTimersByTime(100);
      sink.write({ type: 'step.failed', runId: 'r', at, stage: 'production', step, durationMs: 100, error: 'x'.repeat(80) });
    }
    sink.close?.();
    const frames = term.writes;
    for (const write of frames) {
      const lines = linesOf(write);
      expect(lines.length).toBeLessThanOrEqual(7);
      for (const line of lines) expect([...stripColor(line)].length).toBeLessThanOrEqual(39);
    }
    // The cursor goes back up exactly over the frame drawn before.
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i]!.startsWith(`\u001b[${linesOf(frames[i - 1]!).length}A`)).toBe(true);
    }
    expect(frames.some((w) => w.includes('more lines above'))).toBe(true);
  });

  it('paints only with color on', () => {
    const plain = fakeTerminal();
    const colored = fakeTerminal();
    const a = createLiveSink(recordingOutput(false), { stream: plain });
    const b = createLiveSink(recordingOutput(true), { stream: colored });
    for (const event of successRun.slice(0, 3)) {
      a.write(event);
      b.write(event);
    }
    expect(plain.writes.join('')).not.toMatch(/\u001b\[\d+m/);
    expect(colored.writes.at(-1)).toContain('\u001b[32m    ✓ \u001b[0m');
    expect(stripColor(colored.writes.at(-1)!)).toBe(plain.writes.at(-1));
    a.close?.();
    b.close?.();
  });

  it('honours frameMs and clears its timer on close', () => {
    const term = fakeTerminal();
    const sink = createLiveSink(recordingOutput(false), { stream: term, frameMs: 200 });
    sink.write(successRun[1]!);
    vi.advanceTimersByTime(199);
    expect(term.writes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(term.writes).toHaveLength(2);
    sink.close?.();
    expect(vi.getTimerCount()).toBe(0);
    expect(linesOf(term.writes.at(-1)!)).toContain('    … migrate   stopped');
  });
});

describe('live sink timer', () => {
  it('does not keep the process alive', () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    const sink = createLiveSink(recordingOutput(false), { stream: fakeTerminal() });
    sink.write(successRun[1]!);
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    sink.close?.();
    spy.mockRestore();
  });
});
