import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { createPlainSink } from '../../../src/notify/plain-sink.js';
import { failingHealth, recordingOutput, rollbackRun, successRun } from './runs.js';

function play(events: RunEvent[], color = false): string {
  const output = recordingOutput(color);
  const sink = createPlainSink(output);
  for (const event of events) sink.write(event);
  return output.lines.join('\n');
}

describe('plain sink', () => {
  it('prints one line per event for a successful run', () => {
    expect(play(successRun)).toBe(
      [
        '[  0.00s] run run-20260501-abc started: pipeline default to production (staging, production)',
        '[  0.01s] staging     migrate   … started',
        '[  0.12s] staging     migrate   ✓ 3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql) 45 ms',
        '[  0.13s] staging     deploy    … started',
        '[  0.64s] staging     deploy    ✓ version v42 (was v41) 1.5 s',
        '[  0.65s] staging     verify    … started',
        '[  0.70s] staging     verify    ✓ 1/1 checks passed 50 ms',
        '[  0.71s] staging     finished  ✓ promoted 700 ms',
        '[  0.72s] production  migrate   … started',
        '[  0.80s] production  migrate   ✓ no pending migrations 80 ms',
        '[  0.81s] production  finished  ✓ promoted 90 ms',
        '[  0.82s] summary: promoted (staging promoted, production promoted); exit 0 after 820 ms',
      ].join('\n'),
    );
  });

  it('shows the failing check evidence and the lost-writes window of a rollback', () => {
    const bm = '00000085-0000-4e5b-8000-00000000abcd';
    expect(play(rollbackRun)).toBe(
      [
        '[  0.00s] run run-20260501-abc started: pipeline default to production (staging, production) [resumed]',
        '[  0.01s] staging     finished  - skipped',
        '[  0.01s] production  bookmark  … started',
        `[  0.03s] production  bookmark  ✓ bookmark ${bm} 20 ms`,
        '[  0.04s] production  verify    … started',
        '[  0.80s] production  verify    ✗ GET /health: status 503, expected 200 (3 attempts, 412 ms, body "upstream \\"db\\" down\\nretry later")',
        '[  0.81s] production  rollback  … started',
        `[  2.00s] production  rollback  ✓ writes after bookmark ${bm} are lost: 1.2 s window; version v41 (was v42); database restored by time travel 1.2 s`,
        '[  2.01s] production  finished  ✗ rolled back 2.0 s',
        `[  2.02s] summary: rolled back (staging skipped, production rolled back); exit 3 after 2.0 s; production: writes after bookmark ${bm} are lost: 1.2 s window; production failed verification and was rolled back`,
      ].join('\n'),
    );
  });

  it('says what a person must do when the rollback itself failed', () => {
    const at = '2026-05-01T12:00:03.000Z';
    const text = play([
      { type: 'run.started', runId: 'r1', at: '2026-05-01T12:00:00.000Z', pipeline: 'default', to: 'production', stages: ['production'], dryRun: true, resumed: false },
      {
        type: 'step.failed',
        runId: 'r1',
        at,
        stage: 'production',
        step: 'rollback',
        durationMs: 2500,
        error: 'wrangler rollback failed:\n  Authentication error [code: 10000]\n',
      },
      { type: 'run.interrupted', runId: 'r1', at, message: 'stopped after a failed rollback' },
      {
        type: 'summary',
        runId: 'r1',
        at,
        result: 'failed',
        exitCode: 4,
        durationMs: 3000,
        stages: [{ environment: 'production', result: 'failed', migrations: ['0002_x.sql'], durationMs: 3000 }],
        action: 'roll back by hand: wrangler rollback v41 --env production, then `promote status`',
      },
    ]);
    expect(text).toBe(
      [
        '[  0.00s] run r1 started: pipeline default to production (production) [dry run]',
        '[  3.00s] production  rollback  ✗ wrangler rollback failed: | Authentication error [code: 10000] 2.5 s',
        '[  3.00s] ! interrupted: stopped after a failed rollback',
        '[  3.00s] summary: failed (production failed); exit 4 after 3.0 s; action: roll back by hand: wrangler rollback v41 --env production, then `promote status`',
      ].join('\n'),
    );
  });

  it('prints each rollout step with its split, and the path in the summary', () => {
    const at = (ms: number) => new Date(Date.parse('2026-05-01T12:00:00.000Z') + ms).toISOString();
    const step = (percentage: number, ok: boolean) => ({ percentage, newVersion: 'v42', oldVersion: 'v41', ok, durationMs: 1000, checks: [ok ? { ...failingHealth, ok: true, reason: undefined } : failingHealth] });
    const events: RunEvent[] = [
      { type: 'rollout.step', runId: 'r', at: at(0), stage: 'production', step: step(0, true) },
      { type: 'rollout.step', runId: 'r', at: at(1000), stage: 'production', step: step(10, false) },
      { type: 'summary', runId: 'r', at: at(2000), result: 'rolled-back', exitCode: 1, durationMs: 2000, stages: [{ environment: 'production', result: 'rolled-back', migrations: [], durationMs: 2000, rollout: [{ percentage: 0, ok: true }, { percentage: 10, ok: false }] }] },
    ];
    const lines = play(events).split('\n');
    expect(lines[0]).toBe('[  0.00s] production  rollout   ✓ new v42 at 0%, old v41 at 100%: 1/1 checks passed (1.0 s)');
    expect(lines[1]).toMatch(/^\[  1\.00s\] production  rollout   ✗ new v42 at 10%, old v41 at 90%: 0\/1 checks passed; GET \/health: /);
    expect(lines[2]).toContain('production rollout 0% ✓ → 10% ✗');
  });

  it('paints marks and the result only when color is on', () => {
    expect(play(successRun)).not.toContain('\u001b[');
    const lines = play(successRun, true).split('\n');
    const dim = (t: string): string => `\u001b[2m${t}\u001b[0m`;
    const green = (t: string): string => `\u001b[32m${t}\u001b[0m`;
    expect(lines).toHaveLength(12);
    expect(lines[1]).toBe(`${dim('[  0.01s]')} staging     migrate   \u001b[34m…\u001b[0m started`);
    expect(lines[2]).toBe(`${dim('[  0.12s]')} staging     migrate   ${green('✓')} 3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql) 45 ms`);
    expect(lines[11]).toBe(`${dim('[  0.82s]')} summary: ${green('promoted')} (staging promoted, production promoted); exit 0 after 820 ms`);
    const failed = play(rollbackRun, true).split('\n')[5];
    expect(failed).toContain(`\u001b[31m✗\u001b[0m GET /health: status 503`);
  });

  it('counts time from the first event when a resumed stream has no run.started', () => {
    const [, second] = successRun;
    const text = play([second!, successRun[2]!]);
    expect(text).toBe(
      [
        '[  0.00s] staging  migrate   … started',
        '[  0.11s] staging  migrate   ✓ 3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql) 45 ms',
      ].join('\n'),
    );
  });
});
