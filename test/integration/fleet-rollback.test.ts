/**
 * A failed fleet stage rolls back per tenant, and only what this run changed:
 * down migrations of this run's files in the tenants it migrated; the failed
 * tenant (nothing applied) and the earlier run's migrations are left alone.
 */
import { afterAll, expect, it } from 'vitest';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';
import { migrationFiles } from '../helpers/promotion-project.js';
import { execTenant, fleetFiles, journalEvents, readTenants, tenantIds } from '../helpers/fleet-project.js';

afterAll(cleanupProjects);

it('rolls back each tenant this run migrated, with down migrations, and no other', async () => {
  const tenants = tenantIds(10);
  const root = await makeProject(fleetFiles({ tenants: 10, concurrency: 4, maxFailures: 3, rollback: 'auto', migrations: 1, health: false }));
  const first = await runInProcess(['--to', 'production', '--cwd', root]);
  expect(first.code, first.stdout + first.stderr).toBe(0);

  await writeFiles(root, {
    ...migrationFiles(2, 2),
    'migrations/rollback/0002_t2.rollback.sql': 'DROP TABLE t2;\n',
    'migrations/rollback/0003_t3.rollback.sql': 'DROP TABLE t3;\n',
  });
  await execTenant(root, 't-0004', 'CREATE TABLE t3 (x TEXT)');
  const r = await runInProcess(['--to', 'production', '--cwd', root, '--json']);
  expect(r.code, r.stderr).toBe(1);

  const events = journalEvents(root, 'last');
  expect(events.filter((e) => e.type === 'tenant' && e.status === 'failed').map((e) => e.tenant)).toEqual(['t-0004']);
  const rolledBack = events.filter((e) => e.type === 'tenant' && e.status === 'rolled-back');
  expect(rolledBack.map((e) => e.tenant).sort()).toEqual(tenants.filter((t) => t !== 't-0004'));
  expect(rolledBack.every((e) => JSON.stringify(e.migrations) === JSON.stringify(['0002_t2.sql', '0003_t3.sql']))).toBe(true);
  const rollback = events.find((e) => e.type === 'step.succeeded' && e.step === 'rollback') as { detail: { database: string; migrations: string[] } };
  expect(rollback.detail).toMatchObject({ database: 'down-migrations', migrations: ['0002_t2.sql', '0003_t3.sql'] });
  const summary = events.find((e) => e.type === 'summary') as { result: string; stages: { fleets: { counts: Record<string, number> }[] }[] };
  expect(summary.result).toBe('rolled-back');
  expect(summary.stages[0]!.fleets[0]!.counts).toMatchObject({ applied: 0, failed: 1, 'rolled-back': 9 });

  const read = await readTenants(root, tenants);
  for (const t of tenants) {
    expect(read.get(t)!.ledger, t).toEqual(['0001_t1.sql']);
    // The hand-made table of t-0004 is not this run's: it stays.
    expect(read.get(t)!.tables.filter((n) => /^t\d$/.test(n)), t).toEqual(t === 't-0004' ? ['t1', 't3'] : ['t1']);
  }
}, 180_000);

it('without rollback files, restores each migrated tenant from the bookmark taken just before it was migrated', async () => {
  const tenants = tenantIds(6);
  const root = await makeProject(fleetFiles({ tenants: 6, concurrency: 2, maxFailures: 3, rollback: 'time-travel', bookmark: true, migrations: 1, health: false }));
  expect((await runInProcess(['--to', 'production', '--cwd', root])).code).toBe(0);
  await writeFiles(root, migrationFiles(2, 2));
  await execTenant(root, 't-0002', 'CREATE TABLE t2 (x TEXT)');
  const r = await runInProcess(['--to', 'production', '--cwd', root, '--json']);
  expect(r.code, r.stderr).toBe(1);
  const events = journalEvents(root, 'last');
  const applied = events.filter((e) => e.type === 'tenant' && e.status === 'applied');
  expect(applied.every((e) => typeof (e.bookmark as { id?: string } | undefined)?.id === 'string')).toBe(true);
  const rollback = events.find((e) => e.type === 'step.succeeded' && e.step === 'rollback') as { detail: { database: string } };
  expect(rollback.detail.database).toBe('time-travel');
  const read = await readTenants(root, tenants);
  for (const t of tenants) expect(read.get(t)!.ledger, t).toEqual(['0001_t1.sql']);
}, 180_000);
