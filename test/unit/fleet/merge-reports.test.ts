import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { describeMerged, mergeReports, type NamedReport } from '../../../src/runs/merge-reports.js';
import { buildRunReport, validateReport, type ReportEntry, type RunReport } from '../../../src/runs/run-report.js';
import { inShard } from '../../../src/fleet/shard.js';

const at = '2026-01-01T00:00:00.000Z';

function shardReport(index: number, count: number, tenants: readonly string[], fail: readonly string[] = [], extra: ReportEntry[] = []): NamedReport {
  const runs: ReportEntry[] = tenants
    .filter((t) => inShard(t, { index, count }))
    .map((tenant) => ({ environment: 'production', database: 'TENANTS', tenant, result: fail.includes(tenant) ? 'failed' : 'applied', migrations: ['0002_add.sql'], ...(fail.includes(tenant) ? { error: 'no such table: x' } : {}) }));
  const report: RunReport = { version: 1, runId: `run-${index}`, shard: { index, count }, exitCode: runs.some((r) => r.result === 'failed') ? 1 : 0, runs: [...runs, ...extra] };
  return { file: `shard-${index}.json`, report };
}

const fleet = Array.from({ length: 60 }, (_, i) => `t${i}`);

describe('buildRunReport', () => {
  it('one entry per single database from the summary, one per tenant from its last tenant event', () => {
    const events = [
      { type: 'run.started', runId: 'r1', at, pipeline: 'p', to: 'production', stages: ['staging', 'production'], dryRun: false, resumed: false },
      { type: 'tenant', runId: 'r1', at, environment: 'production', binding: 'TENANTS', tenant: 'acme', status: 'running' },
      { type: 'tenant', runId: 'r1', at, environment: 'production', binding: 'TENANTS', tenant: 'acme', status: 'applied', migrations: ['0002_add.sql'] },
      { type: 'tenant', runId: 'r1', at, environment: 'production', binding: 'TENANTS', tenant: 'globex', status: 'failed', error: 'boom' },
      {
        type: 'summary',
        runId: 'r1',
        at,
        result: 'failed',
        exitCode: 1,
        durationMs: 5,
        message: 'production failed',
        stages: [
          { environment: 'staging', result: 'promoted', migrations: ['0002_add.sql'], durationMs: 1, workerVersion: 'v2' },
          { environment: 'production', result: 'failed', migrations: [], durationMs: 1 },
        ],
      },
    ] as unknown as RunEvent[];
    const report = buildRunReport(events, { databases: new Map([['staging', ['DB']], ['production', ['DB']]]), shard: { index: 1, count: 2 } });
    expect(report).toEqual({
      version: 1,
      runId: 'r1',
      shard: { index: 1, count: 2 },
      exitCode: 1,
      runs: [
        { environment: 'staging', database: 'DB', result: 'applied', migrations: ['0002_add.sql'], version: 'v2' },
        { environment: 'production', database: 'DB', result: 'failed', migrations: [], error: 'production failed' },
        { environment: 'production', database: 'TENANTS', tenant: 'acme', result: 'applied', migrations: ['0002_add.sql'] },
        { environment: 'production', database: 'TENANTS', tenant: 'globex', result: 'failed', migrations: [], error: 'boom' },
      ],
    });
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual({ report });
  });
});

describe('validateReport', () => {
  it('names each bad field', () => {
    const bad = validateReport({ version: 1, runId: '', exitCode: 'x', shard: { index: 3, count: 2 }, runs: [{ environment: 'p', result: 'done', migrations: [1] }] });
    expect('problems' in bad && bad.problems).toEqual([
      'runId: expected a non-empty string',
      'exitCode: expected an integer',
      'shard: expected { index, count } with 1 <= index <= count',
      'runs[0].database: expected a non-empty string',
      'runs[0].result: expected one of applied, unchanged, failed, skipped, rolled-back',
      'runs[0].migrations: expected an array of strings',
    ]);
  });
  it('refuses another version instead of guessing', () => {
    const out = validateReport({ version: 2, runId: 'r', exitCode: 0, runs: [] });
    expect('problems' in out && out.problems[0]).toContain('version 2');
    expect(validateReport([])).toEqual({ problems: ['not a JSON object'] });
  });
});

describe('mergeReports', () => {
  it('joins every shard: each tenant once, counts per database, exit 0 when none failed', () => {
    const out = mergeReports([1, 2, 3, 4].map((i) => shardReport(i, 4, fleet)));
    if (!('merged' in out)) throw new Error(out.problems.join('\n'));
    expect(out.merged.shards).toBe(4);
    expect(out.merged.runs.map((r) => r.tenant).sort()).toEqual([...fleet].sort());
    expect(out.merged.databases).toEqual([{ environment: 'production', database: 'TENANTS', tenants: 60, counts: { applied: 60, unchanged: 0, failed: 0, skipped: 0, 'rolled-back': 0 } }]);
    expect(out.merged.exitCode).toBe(0);
    expect(describeMerged(out.merged).at(-1)).toBe('result: ok: every database and tenant applied or unchanged (exit 0)');
  });

  it('exit 1 with the failed tenants by name', () => {
    const failing = fleet.filter((t) => inShard(t, { index: 2, count: 3 })).slice(0, 2);
    const out = mergeReports([shardReport(3, 3, fleet), shardReport(1, 3, fleet), shardReport(2, 3, fleet, failing)]);
    if (!('merged' in out)) throw new Error(out.problems.join('\n'));
    expect(out.merged.exitCode).toBe(1);
    const text = describeMerged(out.merged).join('\n');
    for (const t of failing) expect(text).toContain(`production/TENANTS tenant ${t}: failed: no such table: x`);
    expect(text).toContain('production/TENANTS  60 tenants: 58 applied, 2 failed');
    expect(text).toContain('result: failed: 2 tenants failed, 1 run did not succeed (exit 1)');
  });

  it('a missing shard is an error naming it', () => {
    const out = mergeReports([shardReport(1, 4, fleet), shardReport(2, 4, fleet), shardReport(4, 4, fleet)]);
    expect('problems' in out && out.problems.join('\n')).toMatch(/^shard 3\/4 missing/);
  });

  it('refuses shards of different counts, a shard given twice, and no files', () => {
    const mixed = mergeReports([shardReport(1, 2, fleet), shardReport(2, 3, fleet)]);
    expect('problems' in mixed && mixed.problems[0]).toContain('shards of different run sets: shard-1.json is 1/2, shard-2.json is 2/3');
    const twice = mergeReports([shardReport(1, 2, fleet), { ...shardReport(1, 2, fleet), file: 'again.json' }, shardReport(2, 2, fleet)]);
    expect('problems' in twice && twice.problems[0]).toBe("shard 1/2 is given twice (shard-1.json, again.json): pass each shard's report once");
    expect(mergeReports([])).toEqual({ problems: ['no report files given: promote report --merge <file>...'] });
  });

  it("a shard's skipped canary gives way to shard 1's result; two real results for one tenant is refused", () => {
    const canary: ReportEntry = { environment: 'production', database: 'TENANTS', tenant: 't0', result: 'skipped', migrations: [] };
    const others = fleet.filter((t) => t !== 't0');
    const withCanary = (index: number): NamedReport => shardReport(index, 2, index === 1 ? fleet : others, [], index === 1 ? [] : [canary]);
    const ok = mergeReports([withCanary(2), withCanary(1)]);
    if (!('merged' in ok)) throw new Error(ok.problems.join('\n'));
    const t0 = ok.merged.runs.filter((r) => r.tenant === 't0');
    // t0 is in one shard's slice or the other's; the result is never the skipped copy when a shard ran it.
    expect(t0).toHaveLength(1);
    expect(t0[0]!.result).toBe('applied');

    const split = mergeReports([shardReport(1, 2, fleet), { ...shardReport(1, 2, fleet), file: 'other.json', report: { ...shardReport(1, 2, fleet).report, shard: { index: 2, count: 2 } } }]);
    expect('problems' in split && split.problems[0]).toMatch(/tenant t\d+ is reported by shard-1.json and other.json: the shards did not split the fleet the same way/);
  });

  it('the unsharded run after the shards (every tenant unchanged) merges beside them; a failure there counts', () => {
    const after: NamedReport = { file: 'production.json', report: { version: 1, runId: 'run-9', exitCode: 0, runs: fleet.map((tenant) => ({ environment: 'production', database: 'TENANTS', tenant, result: fleet.indexOf(tenant) === 3 ? 'failed' : 'unchanged', migrations: [] })) } };
    const out = mergeReports([shardReport(1, 2, fleet), shardReport(2, 2, fleet), after]);
    if (!('merged' in out)) throw new Error(out.problems.join('\n'));
    expect(out.merged.databases[0]!.counts).toMatchObject({ applied: 59, failed: 1, unchanged: 0 });
    expect(out.merged.failed.map((e) => e.tenant)).toEqual(['t3']);
  });

  it('merges the unsharded report of the single-database stages beside the shards', () => {
    const stages: NamedReport = {
      file: 'stages.json',
      report: { version: 1, runId: 'run-0', exitCode: 0, runs: [{ environment: 'staging', database: 'DB', result: 'applied', migrations: ['0002_add.sql'] }] },
    };
    const out = mergeReports([stages, shardReport(1, 1, fleet)]);
    if (!('merged' in out)) throw new Error(out.problems.join('\n'));
    expect(out.merged.databases.map((d) => `${d.environment}/${d.database}`)).toEqual(['staging/DB', 'production/TENANTS']);
    expect(describeMerged(out.merged)[1]).toBe(`  ${'staging/DB'.padEnd('production/TENANTS'.length)}  1 applied`);
  });
});
