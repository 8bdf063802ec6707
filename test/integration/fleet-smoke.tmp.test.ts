import { afterAll, expect, it } from 'vitest';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';
import { migrationFiles } from '../helpers/promotion-project.js';
import { fleetFiles, readTenants, tenantIds } from '../helpers/fleet-project.js';
afterAll(cleanupProjects);
it('smoke', async () => {
  const root = await makeProject(fleetFiles({ tenants: 20, canary: '[t-0001, t-0002]', concurrency: 4, migrations: 1 }));
  let t0 = Date.now();
  let r = await runInProcess(['--to', 'production', '--cwd', root]);
  console.log(Date.now() - t0, r.code, r.stdout.slice(-1500), r.stderr);
  await writeFiles(root, migrationFiles(2, 2));
  t0 = Date.now();
  r = await runInProcess(['--to', 'production', '--cwd', root]);
  console.log(Date.now() - t0, r.code, r.stdout.slice(-3000), r.stderr);
  const t = await readTenants(root, tenantIds(20));
  console.log([...t.entries()].slice(0, 3).map(([k, v]) => `${k} ${v.ledger.join(',')}`));
  expect(r.code).toBe(0);
}, 120_000);
