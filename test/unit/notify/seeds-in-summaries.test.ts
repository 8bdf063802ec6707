/** The seeds a stage applied, named wherever a run is told: the plain log, the job summary, Slack's last message. */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { describeDetail } from '../../../src/notify/describe.js';
import { buildStepSummary } from '../../../src/notify/github/step-summary.js';
import { emptyMemory, rememberEvent } from '../../../src/notify/run-memory.js';
import { buildRunFinished } from '../../../src/notify/slack/blocks.js';
import { ctx } from '../slack/slack-fixtures.js';

const runId = 'run-seeds';
const at = (ms: number) => new Date(Date.UTC(2026, 4, 1, 12, 0, 0, ms)).toISOString();
const seeds = ['all/0001_plans.sql', 'dev/0001_sample_notes.sql'];
const run: RunEvent[] = [
  { type: 'run.started', runId, at: at(0), pipeline: 'default', to: 'dev', stages: ['dev'], dryRun: false, resumed: false },
  { type: 'step.started', runId, at: at(10), stage: 'dev', step: 'migrate' },
  { type: 'step.succeeded', runId, at: at(50), stage: 'dev', step: 'migrate', durationMs: 40, detail: { migrations: ['0001_init.sql'], seeds } },
  { type: 'stage.finished', runId, at: at(60), stage: 'dev', result: 'promoted', durationMs: 50 },
  { type: 'summary', runId, at: at(70), result: 'promoted', exitCode: 0, durationMs: 70, stages: [{ environment: 'dev', result: 'promoted', migrations: ['0001_init.sql'], seeds, durationMs: 50 }] },
];

describe('seeds in the run summaries', () => {
  it('the migrate step names its migrations, then its seeds', () => {
    expect(describeDetail('migrate', { migrations: ['0001_init.sql'], seeds })).toBe('1 migration (0001_init.sql); 2 seeds (all/0001_plans.sql, dev/0001_sample_notes.sql)');
    expect(describeDetail('migrate', { migrations: [], seeds: [] })).toBe('no pending migrations');
  });

  it('GitHub job summary and Slack list the seeds of the stage', () => {
    expect(buildStepSummary(run, ctx)).toContain('Migrations: `0001_init.sql` · Seeds: `all/0001_plans.sql`, `dev/0001_sample_notes.sql`');
    const memory = run.reduce(rememberEvent, emptyMemory);
    const slack = JSON.stringify(buildRunFinished(run.at(-1) as Extract<RunEvent, { type: 'summary' }>, ctx, memory));
    expect(slack).toContain('2 seeds (all/0001_plans.sql, dev/0001_sample_notes.sql)');
  });
});
