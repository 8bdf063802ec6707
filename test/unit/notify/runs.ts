/** Scripted event streams for the sink tests: a clean promotion and one that rolls production back. */
import type { CheckResult, RunEvent, StepName } from '../../../src/events/run-events.js';
import type { Output } from '../../../src/cli/output.js';

const T0 = Date.parse('2026-05-01T12:00:00.000Z');
const runId = 'run-20260501-abc';
const at = (ms: number): string => new Date(T0 + ms).toISOString();

const started = (ms: number, stage: string, step: StepName): RunEvent => ({ type: 'step.started', runId, at: at(ms), stage, step });
const ok = (ms: number, stage: string, step: StepName, durationMs: number, detail?: Extract<RunEvent, { type: 'step.succeeded' }>['detail']): RunEvent => ({
  type: 'step.succeeded',
  runId,
  at: at(ms),
  stage,
  step,
  durationMs,
  ...(detail ? { detail } : {}),
});

export const failingHealth: CheckResult = {
  name: 'GET /health',
  url: 'https://prod.example.com/health',
  ok: false,
  inconclusive: false,
  reason: 'status 503, expected 200',
  durationMs: 1630,
  attempts: [
    { attempt: 1, ok: false, status: 503, latencyMs: 380, reason: 'status 503, expected 200' },
    { attempt: 2, ok: false, status: 503, latencyMs: 401, reason: 'status 503, expected 200' },
    { attempt: 3, ok: false, status: 503, latencyMs: 412, reason: 'status 503, expected 200', bodyExcerpt: 'upstream "db" down\nretry later' },
  ],
};

const passingHealth: CheckResult = {
  name: 'GET /health',
  url: 'https://staging.example.com/health',
  ok: true,
  inconclusive: false,
  durationMs: 30,
  attempts: [{ attempt: 1, ok: true, status: 200, latencyMs: 30 }],
};

export const successRun: RunEvent[] = [
  { type: 'run.started', runId, at: at(0), pipeline: 'default', to: 'production', stages: ['staging', 'production'], dryRun: false, resumed: false },
  started(10, 'staging', 'migrate'),
  ok(120, 'staging', 'migrate', 45, { migrations: ['0002_x.sql', '0003_y.sql', '0004_z.sql'] }),
  started(130, 'staging', 'deploy'),
  ok(640, 'staging', 'deploy', 1510, { workerVersion: 'v42', previousWorkerVersion: 'v41' }),
  started(650, 'staging', 'verify'),
  ok(700, 'staging', 'verify', 50, { checks: [passingHealth] }),
  { type: 'stage.finished', runId, at: at(710), stage: 'staging', result: 'promoted', durationMs: 700 },
  started(720, 'production', 'migrate'),
  ok(800, 'production', 'migrate', 80, { migrations: [] }),
  { type: 'stage.finished', runId, at: at(810), stage: 'production', result: 'promoted', durationMs: 90 },
  {
    type: 'summary',
    runId,
    at: at(820),
    result: 'promoted',
    exitCode: 0,
    durationMs: 820,
    stages: [
      { environment: 'staging', result: 'promoted', bookmark: 'bm-1', migrations: ['0002_x.sql', '0003_y.sql', '0004_z.sql'], durationMs: 700, workerVersion: 'v42' },
      { environment: 'production', result: 'promoted', migrations: [], durationMs: 90 },
    ],
  },
];

export const rollbackRun: RunEvent[] = [
  { type: 'run.started', runId, at: at(0), pipeline: 'default', to: 'production', stages: ['staging', 'production'], dryRun: false, resumed: true },
  { type: 'stage.finished', runId, at: at(5), stage: 'staging', result: 'skipped', durationMs: 0 },
  started(10, 'production', 'bookmark'),
  ok(30, 'production', 'bookmark', 20, { bookmark: '00000085-0000-4e5b-8000-00000000abcd' }),
  started(40, 'production', 'verify'),
  {
    type: 'step.failed',
    runId,
    at: at(800),
    stage: 'production',
    step: 'verify',
    durationMs: 760,
    error: '1 of 1 health checks failed',
    detail: { checks: [failingHealth] },
  },
  started(810, 'production', 'rollback'),
  ok(2000, 'production', 'rollback', 1190, {
    workerVersion: 'v41',
    previousWorkerVersion: 'v42',
    database: 'time-travel',
    bookmark: '00000085-0000-4e5b-8000-00000000abcd',
    lostWritesWindowMs: 1200,
  }),
  { type: 'stage.finished', runId, at: at(2010), stage: 'production', result: 'rolled-back', durationMs: 2000 },
  {
    type: 'summary',
    runId,
    at: at(2020),
    result: 'rolled-back',
    exitCode: 3,
    durationMs: 2020,
    stages: [
      { environment: 'staging', result: 'skipped', migrations: [], durationMs: 0 },
      {
        environment: 'production',
        result: 'rolled-back',
        bookmark: '00000085-0000-4e5b-8000-00000000abcd',
        migrations: [],
        durationMs: 2000,
        lostWritesWindowMs: 1200,
      },
    ],
    message: 'production failed verification and was rolled back',
  },
];

/** An Output that records what it was given. */
export function recordingOutput(color: boolean): Output & { lines: string[] } {
  const lines: string[] = [];
  return { json: false, color, interactive: color, lines, out: (t) => void lines.push(t), err: (t) => void lines.push(t) };
}
