/**
 * `promote --to production --shard i/n` over a real local fleet (Miniflare): the shards'
 * slices are disjoint and cover the fleet, the canaries run in shard 1 only, a shard refuses
 * to start before staging verified the change, and `promote report --merge` joins the shards.
 */
import { readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inShard } from '../../src/fleet/shard.js';
import { execTenant, fleetFiles, readTenants, tenantIds } from '../helpers/fleet-project.js';
import { runInProcess } from '../helpers/in-process.js';
import { cleanupProjects, makeProject } from '../helpers/project.js';
import { envFile } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

const TENANTS = 24;
const CANARIES = ['t-0005', 't-0017'];

function files(): Record<string, string> {
  const fleet = fleetFiles({ tenants: TENANTS, canary: `[${CANARIES.join(', ')}]`, concurrency: 4, migrations: 2 });
  return {
    ...fleet,
    'pipeline/pipeline.yaml': 'name: fleet\nstages:\n  - environment: staging\n  - environment: production\nrollback:\n  database: none\n',
    'environments/staging.yaml': envFile(),
  };
}

type Report = { shard?: { index: number; count: number }; exitCode: number; runs: { environment: string; database: string; tenant?: string; result: string; migrations: string[] }[] };
const readReport = (root: string, file: string): Report => JSON.parse(readFileSync(join(root, file), 'utf8')) as Report;

describe('promote --shard i/n over a fleet', () => {
  it('refuses before staging verified the change; then three shards migrate every tenant once, canaries in shard 1; the merge says so', async () => {
    const root = await makeProject(files());
    const all = tenantIds(TENANTS);

    const early = await runInProcess(['--to', 'production', '--shard', '1/3', '--cwd', root]);
    expect(early.code, early.stdout + early.stderr).toBe(2);
    expect(early.stderr).toContain('E_SHARD_NOT_VERIFIED');
    expect(early.stderr).toContain('staging has not verified this change');
    expect(early.stderr).toContain('promote --to staging');
    const untouched = await readTenants(root, all);
    expect([...untouched.values()].every((t) => t.ledger.length === 0)).toBe(true);

    const noFleet = await runInProcess(['--to', 'staging', '--shard', '1/2', '--cwd', root]);
    expect(noFleet.code).toBe(2);
    expect(noFleet.stderr).toContain('staging has no fleet');

    const staging = await runInProcess(['--to', 'staging', '--report', 'reports/stages.json', '--cwd', root]);
    expect(staging.code, staging.stdout + staging.stderr).toBe(0);

    for (const i of [1, 2, 3]) {
      const shard = await runInProcess(['--to', 'production', '--shard', `${i}/3`, '--report', `reports/shard-${i}.json`, '--cwd', root]);
      expect(shard.code, shard.stdout + shard.stderr).toBe(0);
      // a shard walks its target alone: staging is not run again
      expect(shard.stdout).toContain('to production (production)');
      expect(shard.stdout).toContain('deploy    ✓ a sharded run deploys no Worker: the unsharded run after the shards does');
    }
    const reports = [1, 2, 3].map((i) => readReport(root, `reports/shard-${i}.json`));
    const slices = reports.map((r) => r.runs.map((e) => e.tenant!));
    // disjoint, and together the fleet
    expect(slices.flat().sort()).toEqual([...all].sort());
    // shard 1: every canary plus its slice; the others: their slice, no canary
    expect(slices[0]!.filter((t) => CANARIES.includes(t)).sort()).toEqual(CANARIES);
    for (const [k, slice] of slices.entries()) {
      const expected = all.filter((t) => (k === 0 ? CANARIES.includes(t) || inShard(t, { index: 1, count: 3 }) : !CANARIES.includes(t) && inShard(t, { index: k + 1, count: 3 })));
      expect(slice.sort()).toEqual(expected.sort());
      expect(reports[k]!.shard).toEqual({ index: k + 1, count: 3 });
      // a shard's report is its tenants: it ran no single database
      expect(reports[k]!.runs.every((e) => e.tenant !== undefined && e.result === 'applied')).toBe(true);
    }
    const migrated = await readTenants(root, all);
    for (const t of all) expect(migrated.get(t)!.ledger, t).toEqual(['0001_t1.sql', '0002_t2.sql']);

    const merged = await runInProcess(['report', '--merge', 'reports/stages.json', 'reports/shard-1.json', 'reports/shard-2.json', 'reports/shard-3.json', '--cwd', root]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('staging/DB');
    expect(merged.stdout).toContain(`production/DB  ${TENANTS} tenants: ${TENANTS} applied`);
    const missing = await runInProcess(['report', '--merge', 'reports/shard-1.json', 'reports/shard-3.json', '--cwd', root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('shard 2/3 missing');

    // New tenants: a shard re-run keeps every tenant it had (now unchanged) and takes its share of the new ones.
    const added = ['t-0101', 't-0102', 't-0103', 't-0104', 't-0105', 't-0106'];
    await appendFile(join(root, 'tenants.txt'), `${added.join('\n')}\n`);
    const again = await runInProcess(['--to', 'production', '--shard', '2/3', '--report', 'reports/again-2.json', '--cwd', root]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const second = readReport(root, 'reports/again-2.json').runs;
    expect(second.filter((e) => e.result === 'unchanged').map((e) => e.tenant).sort()).toEqual([...slices[1]!].sort());
    expect(second.filter((e) => e.result === 'applied').map((e) => e.tenant).sort()).toEqual(added.filter((t) => inShard(t, { index: 2, count: 3 })).sort());
  }, 240_000);

  it("a tenant failing in one shard fails that shard alone; the merge names it and exits 1", async () => {
    // One stage only: no stage before production to have verified anything first.
    const root = await makeProject(fleetFiles({ tenants: 12, concurrency: 4, migrations: 2, health: false }));
    const all = tenantIds(12);
    const victim = all.find((t) => inShard(t, { index: 2, count: 2 }))!;
    // The victim already has a table t2 (made by hand): 0002_t2.sql cannot create it there.
    await execTenant(root, victim, 'CREATE TABLE t2 (x TEXT)');
    const dry = await runInProcess(['--to', 'production', '--shard', '2/2', '--dry-run', '--cwd', root]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain('shard 2/2: the tenants of each fleet whose id hashes to shard 2, no canary (shard 1 runs them)');
    const one = await runInProcess(['--to', 'production', '--shard', '1/2', '--cwd', root]);
    expect(one.code, one.stdout + one.stderr).toBe(0);
    const two = await runInProcess(['--to', 'production', '--shard', '2/2', '--cwd', root]);
    expect(two.code, two.stdout + two.stderr).toBe(1);
    // without --report, a sharded run writes its report under .promote/reports/
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(root, '.promote', 'reports')).filter((f) => f.endsWith('.json')).sort();
    expect(files).toHaveLength(2);
    expect(files.map((f) => f.replace(/^.*-shard-/, ''))).toEqual(['1-of-2.json', '2-of-2.json']);
    const merged = await runInProcess(['report', '--merge', ...files.map((f) => join('.promote', 'reports', f)), '--cwd', root]);
    expect(merged.code, merged.stderr).toBe(1);
    expect(merged.stdout).toContain(`production/DB tenant ${victim}: failed: migrations/0002_t2.sql:1:`);
    // every tenant accounted for; after the failure the shard started no more (maxFailures 0): those are skipped
    expect(merged.stdout).toMatch(/production\/DB {2}12 tenants: \d+ applied, 1 failed(, \d+ skipped)?\n/);
    expect(merged.stdout).toMatch(/result: failed: 1 tenant failed, 1 run did not succeed \(exit 1\)/);
  }, 240_000);
});
