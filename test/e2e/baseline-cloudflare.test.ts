/**
 * `promote baseline` against the fake Cloudflare API: the fingerprint read is
 * a handful of requests whatever the number of tables, a refusal sends no
 * write request at all, and a recorded baseline is what the real wrangler
 * binary then reads as applied.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReadOnly } from '../../src/targets/cloudflare/d1-rest.js';
import type { SqlStatement } from '../../src/d1/connection.js';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS, cloudflareProjectFiles, promoteCloudflare } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

const WRANGLER = resolve(import.meta.dirname, '../../node_modules/.bin/wrangler');

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
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);\n',
  'migrations/0002_notes.sql':
    'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT);\nCREATE INDEX notes_user ON notes(user_id);\n',
  'migrations/0003_trigger.sql':
    "CREATE TRIGGER notes_default AFTER INSERT ON notes WHEN NEW.body IS NULL\nBEGIN\n  UPDATE notes SET body = '' WHERE id = NEW.id;\nEND;\n",
};

const promote = (root: string, args: string[]) => promoteCloudflare({ fake, healthBase: 'http://127.0.0.1:9' }, root, args);

/** D1 requests since `from` that could change a database: any /query whose batch is not read-only, and any other non-GET. */
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

const queries = (from: number) => fake.requests.slice(from).filter((r) => r.path.endsWith('/query')).length;

function wrangler(root: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...fake.env, HOME: join(root, '.home'), WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', WRANGLER_LOG_PATH: join(root, '.home', 'logs') };
  return new Promise((done, reject) => {
    const child = spawn(WRANGLER, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

async function handApply(env: string, sql: string): Promise<void> {
  await fake.database(uuids[env]!).query(sql);
}

describe('promote baseline (cloudflare, fake API)', () => {
  it('refuses a database with an extra hand-made column without a single write request', async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, MIGRATIONS));
    await handApply('staging', Object.values(MIGRATIONS).slice(0, 2).join('\n'));
    await handApply('staging', 'ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0');
    const dumpBefore = await fake.database(uuids.staging!).dump();
    const from = fake.requests.length;

    const res = await promote(root, ['baseline', '--env', 'staging']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain('table notes: column pinned INTEGER NOT NULL DEFAULT 0 only in live');
    expect(writeRequests(from)).toEqual([]);
    // the ledger read (1) and the fingerprint read (1): no request per table
    expect(queries(from)).toBeLessThanOrEqual(3);
    expect(await fake.database(uuids.staging!).dump()).toBe(dumpBefore);

    const dry = fake.requests.length;
    await handApply('staging', 'ALTER TABLE notes DROP COLUMN pinned');
    const ok = await promote(root, ['baseline', '--env', 'staging', '--dry-run']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('would record (dry run: nothing written) 2 migration(s)');
    expect(writeRequests(dry)).toEqual([]);
  }, 120_000);

  it('refuses a foreign ledger that claims more than the schema has, without a write request', async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, MIGRATIONS));
    await handApply('dev', Object.values(MIGRATIONS)[0]!);
    await handApply('dev', "CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL); INSERT INTO _migrations VALUES (1, '0001_users', 1), (2, '0002_notes', 2);");
    const from = fake.requests.length;
    const res = await promote(root, ['baseline', '--env', 'dev']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('table notes only in the migrations');
    expect(writeRequests(from)).toEqual([]);
  }, 120_000);

  it('records a hand-applied database in one transaction, and wrangler then sees nothing pending', async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, MIGRATIONS));
    await handApply('production', Object.values(MIGRATIONS).join('\n'));
    const from = fake.requests.length;
    const res = await promote(root, ['baseline', '--env', 'production', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(lastJson(res.stdout).databases).toMatchObject([{ status: 'recorded', through: '0003_trigger.sql', recorded: Object.keys(MIGRATIONS).map((p) => p.slice('migrations/'.length)) }]);
    // lease taken, ledger + metadata in ONE batch, lease released
    const writes = writeRequests(from);
    expect(writes).toHaveLength(3);
    expect(writes[1]).toContain('INSERT INTO "d1_migrations" (name)');
    expect(writes[1]).toContain('INSERT OR IGNORE INTO promote_migrations');

    const rows = await fake.database(uuids.production!).query('SELECT name FROM d1_migrations ORDER BY id');
    expect(rows.map((r) => r.name)).toEqual(['0001_users.sql', '0002_notes.sql', '0003_trigger.sql']);
    const list = await wrangler(root, ['d1', 'migrations', 'list', 'DB', '--env', 'production', '--remote']);
    expect(list.code, list.stderr + list.stdout).toBe(0);
    expect(list.stdout).toContain('No migrations to apply');
  }, 180_000);
});
