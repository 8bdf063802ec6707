/**
 * `promote repair` on a cloudflare environment, against the fake Cloudflare API: a production database
 * that wrangler migrated with two 0001_ files, the second renumbered. A refused repair sends no write
 * request at all (counted in the fake's request log); the accepted one renames the ledger row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS, cloudflareProjectFiles, promoteCloudflare, startCloudflareWorld, type CloudflareWorld } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';

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

const USERS = 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);\n';
const NOTES = 'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), body TEXT);\nCREATE INDEX notes_user ON notes(user_id);\n';
const WRITE = /\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b/i;

/** D1 requests since `from` whose SQL could write. */
function writeRequests(from: number): string[] {
  return fake.requests.slice(from).filter((r) => r.path.includes('/d1/database/') && WRITE.test(r.body)).map((r) => r.body.slice(0, 120));
}

describe('promote repair on cloudflare (fake API)', () => {
  it('refuses with zero write requests, then records the rename in production', async () => {
    // what `wrangler d1 migrations apply DB --env production --remote` left: both 0001_ files applied
    const prod = fake.database(uuids.production!);
    for (const sql of [USERS, ...NOTES.split(';\n').filter((s) => s.trim())]) await prod.query(sql);
    await prod.query('CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)');
    await prod.query("INSERT INTO d1_migrations (name) VALUES ('0001_notes.sql'), ('0001_users.sql')");

    // renumbered, but someone also added a table: not the migration production has
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, {
      'migrations/0001_users.sql': USERS,
      'migrations/0002_notes.sql': `${NOTES}CREATE TABLE tags (id INTEGER PRIMARY KEY);\n`,
    }));
    const before = fake.requests.length;
    const refused = await promoteCloudflare({ fake, healthBase }, root, ['repair', '--env', 'production']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toContain('E_RENAME_CONTENTS_DIFFER');
    expect(fake.requests.length).toBeGreaterThan(before); // it did read production
    expect(writeRequests(before)).toEqual([]);
    expect(await prod.query('SELECT name FROM d1_migrations ORDER BY id')).toEqual([{ name: '0001_notes.sql' }, { name: '0001_users.sql' }]);

    await writeFiles(root, { 'migrations/0002_notes.sql': NOTES });
    const status = JSON.parse((await promoteCloudflare({ fake, healthBase }, root, ['status', '--env', 'production', '--json'])).stdout);
    expect(status.environments[0].databases[0]).toMatchObject({ renamed: [{ from: '0001_notes.sql', to: '0002_notes.sql', match: 'name' }], pending: [] });

    const repaired = await promoteCloudflare({ fake, healthBase }, root, ['repair', '--env', 'production']);
    expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('production/DB: renamed 0001_notes.sql -> 0002_notes.sql');
    expect(await prod.query('SELECT name FROM d1_migrations ORDER BY id')).toEqual([{ name: '0002_notes.sql' }, { name: '0001_users.sql' }]);
    expect(await prod.query('SELECT name, adopted FROM promote_migrations')).toEqual([{ name: '0002_notes.sql', adopted: 1 }]);
    const after = JSON.parse((await promoteCloudflare({ fake, healthBase }, root, ['status', '--env', 'production', '--json'])).stdout);
    expect(after.environments[0].databases[0]).toMatchObject({ renamed: [], pending: [], drift: [] });
  }, 180_000);
});
