/** Fleet planning without a database: the tenant list, canaries, the pool, counts, and what the summaries say. */
import { describe, expect, it } from 'vitest';
import { countResults, describeVersionCounts, parseTenantList, runPool, selectCanaries, selectTenants } from '../../../src/fleet/index.js';
import { buildStepSummary } from '../../../src/notify/github/step-summary.js';
import { buildNotableMessage } from '../../../src/notify/slack/blocks.js';
import { recallRun } from '../../../src/notify/run-memory.js';
import type { RunEvent } from '../../../src/events/run-events.js';
import { cleanupProjects, makeProject } from '../../helpers/project.js';
import { runInProcess } from '../../helpers/in-process.js';
import { fleetFiles } from '../../helpers/fleet-project.js';
import { ctx } from '../slack/slack-fixtures.js';
import { afterAll } from 'vitest';

afterAll(cleanupProjects);

describe('the tenant list', () => {
  it('reads one id a line, comments and a trailing newline allowed', () => {
    expect(parseTenantList('# tenants\nt-1\nt-2\n\n')).toMatchObject({ tenants: ['t-1', 't-2'], problems: [] });
  });
  it('names the line of a blank, a duplicate and an invalid id', () => {
    const { problems } = parseTenantList('t-1\n\nt-2\nt-1\nno spaces\n');
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [2, 'blank line in the tenant list'],
      [4, 'tenant t-1 is listed twice (lines 1 and 4)'],
      [5, '"no spaces" is not a database id or name'],
    ]);
  });
});

describe('canaries and selection', () => {
  const ten = Array.from({ length: 10 }, (_, i) => `t${i}`);
  it('a percentage takes the first ceil(p% of N), at least one, the same every time', () => {
    expect(selectCanaries(ten, '2%')).toEqual(['t0']);
    expect(selectCanaries(ten, '25%')).toEqual(['t0', 't1', 't2']);
    expect(selectCanaries(ten, '0%')).toEqual([]);
    expect(selectCanaries([], '50%')).toEqual([]);
  });
  it('a list keeps the fleet order', () => {
    expect(selectCanaries(ten, ['t5', 't1'])).toEqual(['t1', 't5']);
  });
  it('selectTenants is every tenant in order (the seam --shard narrows)', () => {
    expect(selectTenants(ten)).toEqual(ten);
  });
});

describe('runPool', () => {
  it('never runs more than the concurrency at once and stops starting when told', async () => {
    let running = 0;
    let peak = 0;
    let failures = 0;
    const { started, results } = await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (i === 4) failures++;
        return i;
      },
      () => failures === 0,
    );
    expect(peak).toBe(3);
    expect(started).toBeLessThan(20);
    expect(results.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('counts', () => {
  it('per version newest first, with the failed tenants named', () => {
    const tenants = [...Array.from({ length: 198 }, (_, i) => ({ tenant: `a${i}`, version: '0003_x.sql' })), { tenant: 't-0007', version: '0002_y.sql' }, { tenant: 't-0101', version: '0002_y.sql' }];
    expect(describeVersionCounts(tenants, ['t-0007', 't-0101'])).toBe('198 at 0003, 2 at 0002 (failed: t-0007, t-0101)');
    expect(countResults([{ result: 'applied' }, { result: 'failed' }])).toEqual({ applied: 1, unchanged: 0, failed: 1, skipped: 0, 'rolled-back': 0 });
  });
});

describe('summaries show the fleet', () => {
  const at = '2026-05-01T10:00:00.000Z';
  const base = { runId: 'run-1', at };
  const counts = { applied: 198, unchanged: 0, failed: 2, skipped: 0, 'rolled-back': 0 };
  const events: RunEvent[] = [
    { ...base, type: 'run.started', pipeline: 'default', to: 'production', stages: ['production'], dryRun: false, resumed: false },
    { ...base, type: 'step.started', stage: 'production', step: 'migrate' },
    { ...base, type: 'fleet-start', environment: 'production', binding: 'DB', total: 200, canaries: 2, concurrency: 16 },
    { ...base, type: 'fleet-end', environment: 'production', binding: 'DB', counts, failed: ['t-0007', 't-0101'] },
    { ...base, type: 'step.failed', stage: 'production', step: 'migrate', durationMs: 10, error: '2 of 200 tenants failed' },
    { ...base, type: 'stage.finished', stage: 'production', result: 'failed', durationMs: 20 },
    { ...base, type: 'summary', result: 'failed', exitCode: 1, durationMs: 30, stages: [{ environment: 'production', result: 'failed', migrations: [], durationMs: 20, fleets: [{ binding: 'DB', total: 200, counts, failed: ['t-0007', 't-0101'] }] }] },
  ];
  it('in the GitHub job summary: counts and the failed tenants', () => {
    const md = buildStepSummary(events, ctx);
    expect(md).toContain('Fleet `DB` (200 tenants): 198 applied, 2 failed');
    expect(md).toContain('Failed tenants: `t-0007`, `t-0101`');
  });
  it('in Slack: the run-finished message carries counts and names', () => {
    const summary = events.at(-1)!;
    const message = buildNotableMessage(summary, ctx, recallRun(events));
    expect(JSON.stringify(message)).toContain('fleet DB: 198 applied, 2 failed (failed: t-0007, t-0101)');
  });
});

describe('fleet config at load', () => {
  it('a bad line of the tenant file is exit 2 with the file and line, nothing touched', async () => {
    const root = await makeProject({ ...fleetFiles({ tenants: 3, health: false }), 'tenants.txt': 't-0001\nt-0002\nt-0001\n' });
    const r = await runInProcess(['validate', '--cwd', root]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/tenants\.txt:3.*t-0001 is listed twice/);
  });
  it('a local fleet with match is exit 2 with a hint to use a source file', async () => {
    const files = fleetFiles({ tenants: 3, health: false });
    files['environments/production.yaml'] = files['environments/production.yaml']!.replace('source: tenants.txt', 'match: "tenant-*"');
    const root = await makeProject(files);
    const r = await runInProcess(['validate', '--cwd', root]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/environments\/production\.yaml:\d+.*fleet\.match lists a Cloudflare account's D1 databases/);
    expect(r.stderr + r.stdout).toContain('set fleet.source: tenants.txt');
  });
  it('a canary that is not a tenant is exit 2 on the canary line', async () => {
    const root = await makeProject(fleetFiles({ tenants: 3, canary: '[t-0009]', health: false }));
    const r = await runInProcess(['validate', '--cwd', root]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/production\.yaml:\d+.*canary t-0009 is not a tenant of tenants\.txt/);
  });
});
