/**
 * SIGKILL in the middle of a fleet, then `promote resume`: the tenants already done
 * are not migrated again (their ledgers say so), the rest are, and every tenant
 * ends with each migration exactly once.
 */
import { afterAll, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { startCli } from '../helpers/cli-process.js';
import { fleetFiles, journalEvents, readTenants, tenantIds } from '../helpers/fleet-project.js';

afterAll(cleanupProjects);

const ALL3 = ['0001_t1.sql', '0002_t2.sql', '0003_t3.sql'];

it('SIGKILL mid-fleet, then promote resume: every tenant applied exactly once, none failed', async () => {
  const tenants = tenantIds(60);
  const root = await makeProject(fleetFiles({ tenants: 60, concurrency: 4, health: false }));
  const run = startCli(['--to', 'production', '--json', '--cwd', root]);
  await run.waitFor((e) => e.type === 'tenant' && e.status === 'applied' && e.tenant === 't-0020', 'the 20th tenant applied');
  run.kill('SIGKILL');
  const killed = await run.done;
  expect(killed.code).not.toBe(0);
  const before = journalEvents(root).filter((e) => e.type === 'tenant' && e.status === 'applied').map((e) => String(e.tenant));
  // The kill may land between the --json line and the journal line: the resume must not trust the journal alone.
  expect(before.length).toBeGreaterThanOrEqual(15);
  expect(before.length).toBeLessThan(60);

  const resumed = await runCli(['resume', '--json', '--cwd', root]);
  expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);

  const events = journalEvents(root);
  expect(events.filter((e) => e.type === 'tenant' && e.status === 'failed')).toEqual([]);
  const end = events.filter((e) => e.type === 'fleet-end').at(-1)!;
  expect(end).toMatchObject({ failed: [], counts: { applied: 60, failed: 0, skipped: 0 } });
  const read = await readTenants(root, tenants);
  for (const t of tenants) {
    // The ledger's UNIQUE name would refuse a second apply; the seed row count proves each file ran once.
    expect(read.get(t)!.ledger, t).toEqual(ALL3);
  }
  const rows = await readSeedRows(root, tenants);
  for (const t of tenants) expect(rows.get(t), t).toEqual([1, 1, 1]);
}, 240_000);

async function readSeedRows(root: string, tenants: readonly string[]): Promise<Map<string, number[]>> {
  const { parse } = await import('yaml');
  const { readFileSync } = await import('node:fs');
  const { EnvironmentSchema } = await import('../../src/config/schema.js');
  const { LocalEnvironmentRuntime } = await import('../../src/targets/local/local-environment.js');
  const config = EnvironmentSchema.parse(parse(readFileSync(`${root}/environments/production.yaml`, 'utf8')));
  if (config.target !== 'local') throw new Error('local only');
  const runtime = await LocalEnvironmentRuntime.start(root, 'production', config);
  const out = new Map<string, number[]>();
  try {
    for (const t of tenants) {
      const results = await runtime.tenant('DB', t).batch(['t1', 't2', 't3'].map((n) => ({ sql: `SELECT count(*) AS n FROM ${n}` })));
      out.set(t, results.map((r) => Number(r.results[0]?.n)));
    }
  } finally {
    await runtime.dispose();
  }
  return out;
}
