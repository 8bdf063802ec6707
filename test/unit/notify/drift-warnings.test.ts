/**
 * A schema drift warning (migrations.schemaDrift: warn) travels like the run's
 * other findings: on the preflight step's detail and in the stage's summary,
 * and every sink renders it: plain terminal lines, the Actions annotation and
 * step summary, Slack's final message. The pure refusal says refuse or warn.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { schemaDriftProblems } from '../../../src/engine/schema-refusals.js';
import type { ObservedEnvironment } from '../../../src/engine/observe.js';
import { createActionsSink } from '../../../src/notify/github/actions-sink.js';
import { buildStepSummary } from '../../../src/notify/github/step-summary.js';
import { buildPlanComment } from '../../../src/notify/github/plan-comment.js';
import { createPlainSink } from '../../../src/notify/plain-sink.js';
import { buildRunFinished } from '../../../src/notify/slack/blocks.js';
import { recallRun } from '../../../src/notify/run-memory.js';
import { ctx } from '../slack/slack-fixtures.js';
import { recordingOutput, successRun } from './runs.js';

const WARNING = 'schema drift: staging/DB differs from what its applied migrations build (1 difference; changed by hand?):\n      index users_email only in live';

/** successRun with a staging preflight that warned, and the warning in the summary's stage. */
const warnedRun: RunEvent[] = successRun.flatMap((e): RunEvent[] => {
  if (e.type === 'step.started' && e.stage === 'staging' && e.step === 'migrate') {
    return [
      { type: 'step.started', runId: e.runId, at: e.at, stage: 'staging', step: 'preflight' },
      { type: 'step.succeeded', runId: e.runId, at: e.at, stage: 'staging', step: 'preflight', durationMs: 5, detail: { migrations: ['0002_x.sql'], warnings: [WARNING] } },
      e,
    ];
  }
  if (e.type === 'summary') return [{ ...e, stages: e.stages.map((s) => (s.environment === 'staging' ? { ...s, warnings: [WARNING] } : s)) }];
  return [e];
});

describe('a drift warning in every sink', () => {
  it('plain terminal: on the preflight line and in the summary, one line each', () => {
    const output = recordingOutput(false);
    const sink = createPlainSink(output);
    for (const e of warnedRun) sink.write(e);
    const preflight = output.lines.find((l) => /staging\s+preflight\s+✓/.test(l));
    expect(preflight).toContain('warning: schema drift: staging/DB differs from what its applied migrations build (1 difference; changed by hand?): | index users_email only in live');
    expect(output.lines.at(-1)).toContain('staging: warning: schema drift: staging/DB');
  });

  it('GitHub Actions: a warning annotation and a WARNING block in the step summary', () => {
    const output = recordingOutput(false);
    const sink = createActionsSink({ write: output.out, context: ctx, redact: (t) => t, secrets: [], onWarning: () => undefined });
    for (const e of warnedRun) sink.write(e);
    expect(output.lines.filter((l) => l.startsWith('::warning '))).toEqual([`::warning title=staging%3A preflight warning::${WARNING.replace(/\n/g, '%0A')}`]);
    const md = buildStepSummary(warnedRun, ctx);
    expect(md).toContain('> [!WARNING]\n> staging: warning: schema drift: staging/DB');
  });

  it("Slack: the run's final message carries it as a warning section", () => {
    const summary = warnedRun.at(-1) as Extract<RunEvent, { type: 'summary' }>;
    const message = buildRunFinished(summary, ctx, recallRun(warnedRun));
    expect(message.text).toContain('staging: warning: schema drift');
    expect(JSON.stringify(message.blocks)).toContain(':warning: staging: warning: schema drift: staging/DB');
  });

  it('the plan comment has a schema column and a section per drifted database', () => {
    const body = buildPlanComment({
      stages: [
        { environment: 'dev', pending: [], drift: [], schema: [{ database: 'DB', differences: [] }] },
        { environment: 'staging', pending: [], drift: [], schema: [{ database: 'DB', differences: ['index users_email only in live'] }] },
      ],
      warnings: [],
    });
    expect(body).toContain('| Environment | Pending migrations | Drift | Schema |');
    expect(body).toContain('| dev | none | none | matches |');
    expect(body).toContain('| staging | none | none | ⚠️ 1 difference |');
    expect(body).toContain('### ⚠️ schema drift: staging/DB');
    expect(body).toContain('- index users_email only in live');
  });
});

describe('schemaDriftProblems (pure)', () => {
  const observed = {
    env: { name: 'staging' },
    databases: [
      { binding: 'DB', migrationsDir: 'migrations', schema: { status: 'drift', differences: [{ object: 'index users_email', kind: 'object', live: 'ON users (email)' }] } },
      { binding: 'OTHER', migrationsDir: 'other', schema: { status: 'matches' } },
      { binding: 'OLD', migrationsDir: 'old', schema: { status: 'unknown', reason: '0001_a.sql is retired' } },
    ],
  } as unknown as ObservedEnvironment;

  it('refuse: one error per drifted database, with the diff and the way out', () => {
    const problems = schemaDriftProblems(observed, 'refuse', 'pipeline/pipeline.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', code: 'E_SCHEMA_DRIFT', file: 'migrations' });
    expect(problems[0]!.message).toContain('staging/DB');
    expect(problems[0]!.message).toContain('index users_email only in live');
    expect(problems[0]!.hint).toContain('migrations.schemaDrift: warn in pipeline/pipeline.yaml');
  });

  it('warn: the same finding as a warning; unknown and matching databases are neither', () => {
    expect(schemaDriftProblems(observed, 'warn', 'pipeline/pipeline.yaml').map((p) => [p.severity, p.code])).toEqual([['warning', 'W_SCHEMA_DRIFT']]);
  });
});
