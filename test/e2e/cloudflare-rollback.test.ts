/**
 * `promote rollback --env` on a cloudflare environment, through the same
 * target interface the promotion uses (fake API, real wrangler): the database
 * back to the bookmark the last run took, the Worker to the version before
 * the serving one, verified, and the environment not left locked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS, cloudflareProjectFiles, promoteCloudflare, startCloudflareWorld, type CloudflareWorld } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

let world: CloudflareWorld;
let fake: FakeCloudflare;
let healthBase: string;
let uuids: Record<string, string>;

beforeAll(async () => {
  world = await startCloudflareWorld({ token: 'cf-rollback-token-5e1d2c3b4a' });
  ({ fake, healthBase, uuids } = world);
}, 60_000);

afterAll(async () => {
  await world?.close();
  await cleanupProjects();
});

const promote = (root: string, args: string[]) => promoteCloudflare({ fake, healthBase }, root, args);
const ledger = async (env: string) => ((await fake.database(uuids[env]!).query('SELECT name FROM d1_migrations ORDER BY id')) as { name: string }[]).map((r) => r.name);

describe('promote rollback --env on target: cloudflare', () => {
  it('restores the recorded bookmark and the previous Worker version, verifies, and leaves no lock', { timeout: 600_000 }, async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, { 'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n' }));
    const v1 = await promote(root, ['--to', 'production']);
    expect(v1.code, v1.stdout + v1.stderr).toBe(0);
    const v1Version = fake.activeVersion('app-production');

    await writeFiles(root, {
      'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n',
      'src/index.js': 'export default { async fetch() { return Response.json({ ok: true, v: 2 }); } };\n',
    });
    const v2 = await promote(root, ['--to', 'production', '--json']);
    expect(v2.code, v2.stdout + v2.stderr).toBe(0);
    const bookmark = (lastJson(v2.stdout).stages as { bookmark?: string }[])[2]!.bookmark!;
    const v2Version = fake.activeVersion('app-production');
    expect(v2Version).not.toBe(v1Version);
    expect(await ledger('production')).toEqual(['0001_users.sql', '0002_notes.sql']);

    const res = await promote(root, ['rollback', '--env', 'production', '--json']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const report = JSON.parse(res.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ type: 'rollback', environment: 'production', bookmark, workerVersion: v1Version, previousWorkerVersion: v2Version, ok: true });
    expect(typeof report.lostWritesWindowMs).toBe('number');
    expect(await ledger('production')).toEqual(['0001_users.sql']);
    expect(fake.activeVersion('app-production')).toBe(v1Version);
    expect(await ledger('staging')).toEqual(['0001_users.sql', '0002_notes.sql']);
    // The restore brought back the lease row of the run that took the bookmark; the next run is not locked by it.
    const again = await promote(root, ['--to', 'production']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await ledger('production')).toEqual(['0001_users.sql', '0002_notes.sql']);
  });
});
