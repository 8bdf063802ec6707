/** The dashboard's pure parts: matrix states read across environments, runs told from their journals, the bind rules. */
import { describe, expect, it } from 'vitest';
import { parseUiOptions } from '../../../src/cli/commands/ui.js';
import type { RunEvent } from '../../../src/events/run-events.js';
import { planDatabase } from '../../../src/migrations/plan.js';
import type { Migration } from '../../../src/migrations/types.js';
import type { ObservedDatabase } from '../../../src/engine/observe.js';
import { buildMatrix } from '../../../src/ui/matrix-model.js';
import type { RunFiles } from '../../../src/ui/read-runs.js';
import { buildRunView, deployedFromRuns } from '../../../src/ui/run-model.js';
import { drawStatePath } from '../../../src/ui/state-path-svg.js';

const file = (name: string, sql: string): Migration => ({ name, path: `migrations/${name}`, sql, checksum: `sha256:${sql}`, statements: [], number: Number(name.slice(0, 4)), id: name.slice(0, 4), slug: name.slice(5, -4) });

function database(files: Migration[], applied: { name: string; checksum?: string }[], schema: string[] = []): ObservedDatabase {
  const state = {
    ledger: applied.map((a, i) => ({ id: i + 1, name: a.name, applied_at: '2026-01-01 00:00:00' })),
    meta: new Map(applied.filter((a) => a.checksum).map((a) => [a.name, { name: a.name, checksum: a.checksum!, run_id: 'r-1', applied_at: '2026-01-01', duration_ms: 12, adopted: 0 }])),
    schema: schema.map((sql, i) => ({ type: 'table' as const, name: `t${i}`, tbl_name: `t${i}`, sql })),
  };
  return { binding: 'DB', migrationsDir: 'migrations', migrations: files, state, plan: planDatabase(files, state as never) } as ObservedDatabase;
}

describe('buildMatrix', () => {
  const a = file('0001_a.sql', 'CREATE TABLE a (x)');
  const b = file('0002_b.sql', 'CREATE TABLE b (x)');
  const bRenamed = file('0002_bee.sql', 'CREATE TABLE b (x)');
  const c = file('0003_c.sql', 'CREATE TABLE c (x)');

  it('says applied (when, which run, how long), pending, drift, renamed and unknown in words', () => {
    const [table] = buildMatrix([
      { name: 'dev', target: 'local', databases: [database([a, b, c], [{ name: a.name, checksum: a.checksum }, { name: b.name, checksum: b.checksum }])] },
      { name: 'staging', target: 'local', databases: [database([a, bRenamed, c], [{ name: a.name, checksum: 'sha256:edited' }, { name: b.name, checksum: b.checksum }])] },
      { name: 'production', target: 'cloudflare', unavailable: 'busy: held by run r-9' },
    ]);
    const state = (migration: string) => table!.rows.find((r) => r.migration === migration)!.cells.map((c) => c.text);
    expect(state('0001_a.sql')).toEqual(['✓ applied', '! drift', '? unknown']);
    expect(state('0002_b.sql')).toEqual(['✓ applied', '→ renamed', '? unknown']);
    expect(state('0003_c.sql')).toEqual(['• pending', '• pending', '? unknown']);
    const applied = table!.rows[0]!.cells[0]!;
    expect(applied.detail).toEqual(['applied 2026-01-01 00:00:00', 'by run r-1', 'in 12 ms']);
    expect(table!.rows.find((r) => r.migration === '0002_b.sql')!.cells[1]!.detail[0]).toBe('the file is now 0002_bee.sql (same checksum)');
    expect(table!.rows.find((r) => r.migration === '0003_c.sql')!.cells[1]!.command).toBe('promote --to staging');
    expect(table!.columns[2]!.unavailable).toBe('busy: held by run r-9');
  });

  it('flags schema drift between environments that applied the same migrations', () => {
    const [table] = buildMatrix([
      { name: 'dev', target: 'local', databases: [database([a], [{ name: a.name, checksum: a.checksum }], ['CREATE TABLE a (x)'])] },
      { name: 'staging', target: 'local', databases: [database([a], [{ name: a.name, checksum: a.checksum }], ['CREATE TABLE a (x)'])] },
      { name: 'production', target: 'local', databases: [database([a], [{ name: a.name, checksum: a.checksum }], ['CREATE TABLE a (x, added_by_hand)'])] },
    ]);
    expect(table!.columns.map((c) => c.schema)).toEqual([
      { text: 'schema differs from production', drift: true },
      { text: 'schema differs from production', drift: true },
      { text: 'schema differs from dev, staging', drift: true },
    ]);
  });
});

const at = '2026-01-01T00:00:00.000Z';
const ev = (e: Record<string, unknown>): RunEvent => ({ runId: 'r-1', at, ...e }) as RunEvent;
const files = (events: RunEvent[], extra: Partial<RunFiles> = {}): RunFiles => ({ runId: 'r-1', events, unreadable: [], journalBytes: 1, tornTail: false, ...extra });

describe('buildRunView', () => {
  const rolledBack = [
    ev({ type: 'run.started', pipeline: 'p', to: 'production', stages: ['staging', 'production'], dryRun: false, resumed: false }),
    ev({ type: 'step.succeeded', stage: 'staging', step: 'deploy', durationMs: 5, detail: { workerVersion: 'v2', previousWorkerVersion: 'v1' } }),
    ev({ type: 'step.failed', stage: 'staging', step: 'verify', durationMs: 5, error: 'verification failed', detail: { checks: [{ name: 'GET /health', url: '/health', ok: false, inconclusive: false, reason: 'status 503, expected 200', attempts: [{ attempt: 1, ok: false, status: 503, latencyMs: 4 }], durationMs: 4 }] } }),
    ev({ type: 'step.succeeded', stage: 'staging', step: 'rollback', durationMs: 700, detail: { database: 'time-travel', bookmark: 'bm1', lostWritesWindowMs: 1500 } }),
    ev({ type: 'step.succeeded', stage: 'staging', step: 'reverify', durationMs: 5 }),
    ev({ type: 'stage.finished', stage: 'staging', result: 'rolled-back', durationMs: 900 }),
    ev({ type: 'summary', result: 'rolled-back', exitCode: 1, durationMs: 1000, stages: [{ environment: 'staging', result: 'rolled-back', migrations: [], durationMs: 900, bookmark: 'bm1', lostWritesWindowMs: 1500 }, { environment: 'production', result: 'skipped', migrations: [], durationMs: 0 }] }),
  ];

  it('tells a rollback: what failed, what was undone, the lost writes, and what serves now', () => {
    const view = buildRunView(files(rolledBack));
    expect(view.result).toBe('rolled-back');
    expect(view.story[0]).toMatch(/^staging: verify failed: GET \/health: status 503, expected 200/);
    expect(view.story[1]).toMatch(/^staging: rolled back in 700 ms/);
    expect(view.story).toContain('staging: after the rollback, verification passed');
    expect(view.lostWrites).toEqual(['staging: writes after bookmark bm1 are lost: 1.5 s window']);
    expect(deployedFromRuns([view], 'staging')).toMatchObject({ current: 'v1', previous: 'v2', bookmark: 'bm1' });
    const svg = drawStatePath(view.memory);
    expect(svg).toContain('verify ✗');
    expect(svg).toContain('production (skipped)');
    expect(svg).toContain('aria-label="path: staging: deploy succeeded, verify failed, rollback succeeded, reverify succeeded; production (skipped); result: rolled back"');
  });

  it('a torn last line with no write since is a crashed run: interrupted, with the resume command', () => {
    const started = [rolledBack[0]!];
    const now = Date.parse(at) + 60_000;
    const crashed = buildRunView(files(started, { tornTail: true, journalMtimeMs: now - 30_000, unreadable: ['1 journal line could not be read'] }), now);
    expect(crashed.result).toBe('interrupted');
    expect(crashed.actions.map((a) => a.command)).toContain('promote resume --run r-1');
    // A line being written right now is not a crash.
    expect(buildRunView(files(started, { tornTail: true, journalMtimeMs: now - 100 }), now).result).toBe('running');
  });
});

describe('parseUiOptions', () => {
  it('binds loopback by default and refuses any other address without a token (exit 2)', () => {
    expect(parseUiOptions({})).toEqual({ host: '127.0.0.1', port: 7420 });
    expect(() => parseUiOptions({ host: '0.0.0.0' })).toThrow(/--token/);
    expect(() => parseUiOptions({ host: '192.168.1.4', token: '' })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(parseUiOptions({ host: '0.0.0.0', token: 's', port: '0' })).toEqual({ host: '0.0.0.0', port: 0, token: 's' });
    expect(parseUiOptions({ host: '::1' }).host).toBe('::1');
    expect(() => parseUiOptions({ port: 'x' })).toThrow(/not a port/);
  });
});
