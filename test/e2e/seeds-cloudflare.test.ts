/**
 * Seeds on target: cloudflare, against the fake Cloudflare API (D1 over REST) and the real wrangler:
 * seeds/all/ reaches every remote database, seeds/dev/ only dev's, after the migrations, once.
 * Checked by querying each remote database in the fake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS as ENVS, cloudflareProjectFiles, promoteCloudflare, startCloudflareWorld, type CloudflareWorld } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

let world: CloudflareWorld;
let fake: FakeCloudflare;
let healthBase: string;
let uuids: Record<string, string>;

beforeAll(async () => {
  world = await startCloudflareWorld();
  ({ fake, healthBase, uuids } = world);
}, 60_000);

afterAll(async () => {
  await world?.close();
  await cleanupProjects();
});

const FILES = {
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);\n',
  'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT);\n',
  'seeds/all/0001_admin.sql': "INSERT INTO users (email) VALUES ('admin@example.com');\n",
  'seeds/dev/0001_sample_notes.sql':
    "INSERT INTO users (email) VALUES ('dev@example.com');\nINSERT INTO notes (user_id, body)\n  SELECT id, 'sample note' FROM users WHERE email = 'dev@example.com';\n",
};

async function remote(env: string): Promise<{ users: string[]; notes: number; seeds: string[] }> {
  const db = fake.database(uuids[env]!);
  const users = (await db.query('SELECT email FROM users ORDER BY id')) as { email: string }[];
  const notes = (await db.query('SELECT count(*) AS n FROM notes')) as { n: number }[];
  const seeds = (await db.query('SELECT name FROM promote_seeds ORDER BY id')) as { name: string }[];
  return { users: users.map((u) => u.email), notes: notes[0]!.n, seeds: seeds.map((s) => s.name) };
}

describe('seeds on target: cloudflare (fake API)', () => {
  it('reach the remote database of their environment only, and a rerun applies nothing twice', { timeout: 300_000 }, async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, FILES));
    const first = await promoteCloudflare({ fake, healthBase }, root, ['--to', 'production', '--json']);
    expect(first.code, first.stderr + first.stdout.slice(-2000)).toBe(0);
    const summary = lastJson(first.stdout) as { stages: { environment: string; seeds: string[] }[] };
    expect(summary.stages.map((s) => [s.environment, s.seeds])).toEqual([
      ['dev', ['all/0001_admin.sql', 'dev/0001_sample_notes.sql']],
      ['staging', ['all/0001_admin.sql']],
      ['production', ['all/0001_admin.sql']],
    ]);
    expect(await remote('dev')).toEqual({ users: ['admin@example.com', 'dev@example.com'], notes: 1, seeds: ['all/0001_admin.sql', 'dev/0001_sample_notes.sql'] });
    for (const env of ['staging', 'production']) expect(await remote(env)).toEqual({ users: ['admin@example.com'], notes: 0, seeds: ['all/0001_admin.sql'] });

    const before = await Promise.all(ENVS.map(remote));
    const again = await promoteCloudflare({ fake, healthBase }, root, ['--to', 'production', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((lastJson(again.stdout) as { stages: { seeds: string[] }[] }).stages.map((s) => s.seeds)).toEqual([[], [], []]);
    expect(await Promise.all(ENVS.map(remote))).toEqual(before);
  });
});
