/**
 * Fleets on the local target: one environment, many tenant databases in its one
 * Miniflare. Each tenant is migrated with its own lease and ledger; a failing
 * tenant fails alone; maxFailures stops new starts; canaries go first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';
import { migrationFiles } from '../helpers/promotion-project.js';
import { execTenant, fleetFiles, journalEvents, readTenants, tenantIds } from '../helpers/fleet-project.js';

afterAll(cleanupProjects);

const ALL3 = ['0001_t1.sql', '0002_t2.sql', '0003_t3.sql'];
type Ev = Record<string, unknown>;
const tenantEvents = (events: Ev[], status?: string) => events.filter((e) => e.type === 'tenant' && (status === undefined || e.status === status));

describe('a fleet of local tenants', () => {
  it('migrates 200 tenants, each ledger exactly the files, with one preflight for one schema', async () => {
    const tenants = tenantIds(200);
    const root = await makeProject(fleetFiles({ tenants: 200, concurrency: 16, health: false }));
    const r = await runInProcess(['--to', 'production', '--cwd', root]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('production DB: 200 applied');

    const read = await readTenants(root, tenants);
    for (const t of tenants) {
      expect(read.get(t)!.ledger, t).toEqual(ALL3);
      expect(read.get(t)!.tables.filter((n) => /^t\d+$/.test(n)), t).toEqual(['t1', 't2', 't3']);
    }
    const events = journalEvents(root);
    const start = events.find((e) => e.type === 'fleet-start')!;
    expect(start).toMatchObject({ total: 200, preflights: 1, concurrency: 16 });
    const applied = tenantEvents(events, 'applied');
    expect(new Set(applied.map((e) => e.tenant)).size).toBe(200);
    expect(applied.every((e) => JSON.stringify(e.migrations) === JSON.stringify(ALL3) && e.version === '0003_t3.sql')).toBe(true);
    expect(events.find((e) => e.type === 'fleet-end')).toMatchObject({ counts: { applied: 200, failed: 0, skipped: 0 }, failed: [] });
  }, 300_000);

  it('fails one tenant whose schema breaks the migration alone, by name and file:line; the others are migrated', async () => {
    const tenants = tenantIds(30);
    const root = await makeProject(fleetFiles({ tenants: 30, concurrency: 8, maxFailures: 5, health: false }));
    // t-0007 already has a table t2 (made by hand): 0002_t2.sql cannot create it there.
    await execTenant(root, 't-0007', 'CREATE TABLE t2 (x TEXT)');
    const r = await runInProcess(['--to', 'production', '--cwd', root, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const events = journalEvents(root);
    expect(events.find((e) => e.type === 'fleet-start')).toMatchObject({ total: 30, preflights: 2 });
    const failed = tenantEvents(events, 'failed');
    expect(failed.map((e) => e.tenant)).toEqual(['t-0007']);
    expect(String(failed[0]!.error)).toMatch(/^migrations\/0002_t2\.sql:1: .*t2 already exists/);
    expect(events.find((e) => e.type === 'fleet-end')).toMatchObject({ counts: { applied: 29, failed: 1 }, failed: ['t-0007'] });
    const summary = events.find((e) => e.type === 'summary') as { stages: { fleets: unknown[] }[] };
    expect(summary.stages[0]!.fleets).toEqual([{ binding: 'DB', total: 30, counts: { applied: 29, unchanged: 0, failed: 1, skipped: 0, 'rolled-back': 0 }, failed: ['t-0007'] }]);

    const read = await readTenants(root, tenants);
    expect(read.get('t-0007')!.ledger).toEqual([]);
    for (const t of tenants.filter((x) => x !== 't-0007')) expect(read.get(t)!.ledger, t).toEqual(ALL3);

    // status: counts per version and the failed tenant by name; --json lists every tenant.
    const status = await runInProcess(['status', '--env', 'production', '--cwd', root]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('DB (fleet of 30): 29 at 0003, 1 with nothing applied (failed: t-0007)');
    const json = await runInProcess(['status', '--env', 'production', '--cwd', root, '--json']);
    const fleet = (JSON.parse(json.stdout) as { environments: { fleets: { versions: unknown; failed: string[]; tenants: { tenant: string; version: string | null; pending: string[]; failed?: string }[] }[] }[] }).environments[0]!.fleets[0]!;
    expect(fleet.versions).toEqual([{ version: '0003', count: 29 }, { version: 'nothing', count: 1 }]);
    expect(fleet.failed).toEqual(['t-0007']);
    expect(fleet.tenants).toHaveLength(30);
    const broken = fleet.tenants.find((t) => t.tenant === 't-0007')!;
    expect(broken).toMatchObject({ version: null, pending: ALL3 });
    expect(broken.failed).toMatch(/0002_t2\.sql:1/);
    expect(fleet.tenants.find((t) => t.tenant === 't-0001')).toMatchObject({ version: '0003_t3.sql', pending: [] });
  }, 180_000);

  it('stops starting tenants once more than maxFailures failed; the rest are skipped, never started', async () => {
    const root = await makeProject(fleetFiles({ tenants: 40, concurrency: 1, maxFailures: 1, health: false }));
    for (const t of ['t-0005', 't-0010', 't-0015', 't-0020']) await execTenant(root, t, 'CREATE TABLE t1 (x TEXT)');
    const r = await runInProcess(['--to', 'production', '--cwd', root, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const events = journalEvents(root);
    const started = tenantEvents(events, 'running').map((e) => e.tenant);
    // One at a time: the second failure (t-0010) is the last tenant started.
    expect(started).toEqual(tenantIds(10));
    expect(tenantEvents(events, 'failed').map((e) => e.tenant)).toEqual(['t-0005', 't-0010']);
    expect(tenantEvents(events, 'skipped')).toHaveLength(30);
    expect(events.find((e) => e.type === 'fleet-end')).toMatchObject({ counts: { applied: 8, failed: 2, skipped: 30 } });
    const read = await readTenants(root, tenantIds(40));
    expect(read.get('t-0011')!.ledger).toEqual([]);
    expect(read.get('t-0009')!.ledger).toEqual(ALL3);
  }, 180_000);

  it('migrates and health-checks the canaries before any other tenant starts', async () => {
    const root = await makeProject(fleetFiles({ tenants: 24, canary: '10%', concurrency: 8, migrations: 1 }));
    // A first promotion deploys the Worker, so the canaries' checks have a version to ask.
    const first = await runInProcess(['--to', 'production', '--cwd', root]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await writeFiles(root, migrationFiles(2, 2));
    const r = await runInProcess(['--to', 'production', '--cwd', root, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const events = journalEvents(root, 'last');
    const canaries = ['t-0001', 't-0002', 't-0003'];
    const verified = events.findIndex((e) => e.type === 'fleet-canaries');
    expect(events[verified]).toMatchObject({ ok: true, canaries });
    expect((events[verified]!.checks as { ok: boolean }[]).map((c) => c.ok)).toEqual([true]);
    const canaryDone = events.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'tenant' && canaries.includes(String(e.tenant)) && e.status === 'applied');
    expect(canaryDone).toHaveLength(3);
    expect(Math.max(...canaryDone.map(([, i]) => i))).toBeLessThan(verified);
    const others = events.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'tenant' && !canaries.includes(String(e.tenant)));
    expect(others.length).toBe(2 * 21);
    expect(Math.min(...others.map(([, i]) => i))).toBeGreaterThan(verified);
    const read = await readTenants(root, tenantIds(24));
    for (const [t, v] of read) expect(v.ledger, t).toEqual(ALL3);

    // Promoted again: nothing pending anywhere, every tenant unchanged, nothing applied twice.
    const again = await runInProcess(['--to', 'production', '--cwd', root]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('production DB: 24 unchanged');
  }, 180_000);

  it('refuses the run (exit 2, no tenant changed) when every tenant fails preflight: the migration is wrong, not a tenant', async () => {
    const root = await makeProject(fleetFiles({ tenants: 3, maxFailures: 5, health: false }));
    for (const t of tenantIds(3)) await execTenant(root, t, 'CREATE TABLE t2 (x TEXT)');
    const r = await runInProcess(['--to', 'production', '--cwd', root]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/migrations\/0002_t2\.sql:1/);
    expect(r.stderr + r.stdout).toContain('preflight failed on production/DB (all 3 tenants); no environment was changed');
    const read = await readTenants(root, tenantIds(3));
    for (const [t, v] of read) expect(v.ledger, t).toEqual([]);
  }, 120_000);

  it('promote migrate leaves a fleet\'s tenants alone and says so (the promotion migrates them)', async () => {
    const root = await makeProject(fleetFiles({ tenants: 3, health: false }));
    const r = await runInProcess(['migrate', '--env', 'production', '--cwd', root]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('W_FLEET_LEFT_ALONE');
    expect(r.stderr).toContain('production/DB is a fleet: promote migrate changes the environment\'s single databases only, not its tenants');
    const read = await readTenants(root, tenantIds(3));
    for (const [t, v] of read) expect(v.ledger, t).toEqual([]);
  }, 120_000);

  it('fails a tenant changed by hand (schema drift) alone, naming what differs; the others are migrated', async () => {
    const tenants = tenantIds(6);
    const root = await makeProject(fleetFiles({ tenants: 6, maxFailures: 5, health: false }));
    expect((await runInProcess(['--to', 'production', '--cwd', root])).code).toBe(0);
    // Someone adds an index to one tenant in the console; then a new migration comes.
    await execTenant(root, 't-0003', 'CREATE INDEX t1_by_hand ON t1 (id)');
    await writeFiles(root, { 'migrations/0004_t4.sql': 'CREATE TABLE t4 (id INTEGER PRIMARY KEY);\n' });
    const r = await runInProcess(['--to', 'production', '--cwd', root, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const failed = tenantEvents(journalEvents(root), 'failed');
    expect(failed.map((e) => e.tenant)).toEqual(['t-0003']);
    expect(String(failed[0]!.error)).toContain('schema drift: production/DB[t-0003]');
    expect(String(failed[0]!.error)).toContain('index t1_by_hand only in live');
    const read = await readTenants(root, tenants);
    expect(read.get('t-0003')!.ledger).toEqual(ALL3);
    for (const t of tenants.filter((x) => x !== 't-0003')) expect(read.get(t)!.ledger, t).toEqual([...ALL3, '0004_t4.sql']);
  }, 180_000);
});
