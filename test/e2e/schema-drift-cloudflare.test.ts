/**
 * Schema drift on the cloudflare target, against the fake Cloudflare API (D1
 * on Miniflare): after `migrate`, a change made by hand in staging is what
 * `status` reports, read with read-only requests only; the replay runs on the
 * local scratch database, and the second status finds it cached.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReadOnly } from '../../src/targets/cloudflare/d1-rest.js';
import type { SqlStatement } from '../../src/d1/connection.js';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS, cloudflareProjectFiles, promoteCloudflare } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject } from '../helpers/project.js';

let fake: FakeCloudflare;
const uuids: Record<string, string> = {};

beforeAll(async () => {
  fake = await startFakeCloudflare();
  for (const env of CF_ENVS) uuids[env] = (await fake.addDatabase(`app-${env}`)).uuid;
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await cleanupProjects();
});

const MIGRATIONS = {
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, nickname TEXT);\n',
  'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);\nCREATE INDEX notes_user ON notes(user_id);\n',
};

const promote = (root: string, args: string[]) => promoteCloudflare({ fake, healthBase: 'http://127.0.0.1:9' }, root, args);

function writeRequests(from: number): string[] {
  return fake.requests.slice(from).flatMap((r) => {
    if (r.method === 'GET') return [];
    if (r.path.endsWith('/query')) {
      const body = JSON.parse(r.body) as { sql?: string; batch?: SqlStatement[] };
      const statements = body.batch ?? [{ sql: body.sql ?? '' }];
      return isReadOnly(statements) ? [] : [`${r.method} ${r.path}: ${statements.map((s) => s.sql).join('; ')}`];
    }
    return [`${r.method} ${r.path}`];
  });
}

interface StatusJson {
  environments: { name: string; databases: { schema?: { matches: boolean | null; differences: { object: string; kind: string; expected?: string; live?: string }[] } }[] }[];
}

describe('schema drift (cloudflare, fake API)', () => {
  it('status shows an index added and one dropped by hand in staging, with read-only requests', async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, MIGRATIONS));
    for (const env of ['dev', 'staging']) {
      const m = await promote(root, ['migrate', '--env', env]);
      expect(m.code, m.stdout + m.stderr).toBe(0);
    }
    await fake.database(uuids.staging!).query('CREATE INDEX users_nickname ON users(nickname)');
    await fake.database(uuids.staging!).query('DROP INDEX notes_user');

    const from = fake.requests.length;
    const res = await promote(root, ['status', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(writeRequests(from)).toEqual([]);
    const envs = (JSON.parse(res.stdout) as StatusJson).environments;
    const schema = (name: string) => envs.find((e) => e.name === name)!.databases[0]!.schema!;
    expect(schema('dev')).toEqual({ matches: true, differences: [] });
    expect(schema('production')).toEqual({ matches: true, differences: [] });
    expect(schema('staging').matches).toBe(false);
    expect(schema('staging').differences).toEqual([
      { object: 'index notes_user', kind: 'object', expected: 'ON notes (user_id)' },
      { object: 'index users_nickname', kind: 'object', live: 'ON users (nickname)' },
    ]);
    // dev and staging have the same ledger: one replay, cached for the next status.
    const cache = join(root, '.promote', 'cache', 'expected-schema');
    expect(readdirSync(cache).filter((f) => f.endsWith('.json'))).toHaveLength(1);

    const text = await promote(root, ['status', '--env', 'staging']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('schema: 2 differences from its migrations');
    expect(text.stdout).toContain('index users_nickname only in live');
    expect(text.stdout).toContain('index notes_user only in the migrations');
  }, 180_000);
});
