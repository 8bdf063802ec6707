/**
 * `promote --to production` with every environment `target: cloudflare`,
 * against the fake Cloudflare API (D1 backed by Miniflare) and the real
 * wrangler binary. The deployed Worker's health is played by a loopback
 * server that answers from what the fake holds: the environment's D1 and the
 * vars of the version serving now (a BROKEN var makes it unhealthy).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS as ENVS, cloudflareEnvFile as envFile, cloudflareProjectFiles, promoteCloudflare, wranglerConfig as wranglerFor, startCloudflareWorld, type CloudflareWorld } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject, writeFiles, type CliResult } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

const CANARY = 'cf-canary-token-7f3a9c1e5b2d4068';

let world: CloudflareWorld;
let fake: FakeCloudflare;
let healthBase: string;
let uuids: Record<string, string>;

beforeAll(async () => {
  world = await startCloudflareWorld({ token: CANARY });
  ({ fake, healthBase, uuids } = world);
}, 60_000);

afterAll(async () => {
  await world?.close();
  await cleanupProjects();
});

const wranglerConfig = (vars: Parameters<typeof wranglerFor>[1] = {}) => wranglerFor({ fake, uuids }, vars);

const MIGRATIONS = {
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);\n',
  'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT);\nCREATE INDEX notes_user ON notes(user_id);\n',
};

async function project(): Promise<string> {
  return makeProject(cloudflareProjectFiles({ fake, uuids }, MIGRATIONS));
}

const promote = (root: string, args: string[], env: NodeJS.ProcessEnv = {}) => promoteCloudflare({ fake, healthBase }, root, args, env);

async function ledger(env: string): Promise<string[]> {
  try {
    return ((await fake.database(uuids[env]!).query('SELECT name FROM d1_migrations ORDER BY id')) as { name: string }[]).map((r) => r.name);
  } catch {
    return [];
  }
}

function assertNoCanary(root: string, results: CliResult[]): void {
  for (const r of results) {
    expect(r.stdout).not.toContain(CANARY);
    expect(r.stderr).not.toContain(CANARY);
  }
  const runs = join(root, '.promote', 'runs');
  if (existsSync(runs)) {
    for (const run of readdirSync(runs)) {
      for (const f of readdirSync(join(runs, run))) expect(readFileSync(join(runs, run, f), 'utf8')).not.toContain(CANARY);
    }
  }
  for (const req of fake.requests) expect(req.body ?? '').not.toContain(CANARY);
}

describe('promote --to production on target: cloudflare (fake API, real wrangler)', () => {
  it('promotes, then a staging failure rolls staging back and leaves production untouched, then a production-only failure restores production', async () => {
    const root = await project();
    // 1. clean promotion of v1
    const v1 = await promote(root, ['--to', 'production', '--json']);
    expect(v1.code, v1.stderr + v1.stdout.slice(-2000)).toBe(0);
    const s1 = lastJson(v1.stdout) as { result: string; stages: { environment: string; result: string; migrations: string[]; workerVersion?: string; bookmark?: string }[] };
    expect(s1.stages.map((s) => s.result)).toEqual(['promoted', 'promoted', 'promoted']);
    for (const env of ENVS) expect(await ledger(env)).toEqual(['0001_users.sql', '0002_notes.sql']);
    expect(s1.stages[2]!.bookmark).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    const v1Versions = Object.fromEntries(ENVS.map((e) => [e, fake.activeVersion(`app-${e}`)]));
    for (const env of ENVS) expect(v1Versions[env]).toBe(s1.stages.find((s) => s.environment === env)!.workerVersion);
    // A first upload's deployment carries no workers/message (the fake, like the API, need not copy it):
    // the gates passed on the version's own annotations, tagged with the build.
    for (const env of ENVS) {
      const script = fake.scripts.get(`app-${env}`)!;
      expect(script.deployments[0]!.annotations['workers/message']).toBeUndefined();
      expect(script.versions[0]!.annotations['workers/tag']).toMatch(/^build-[0-9a-f]{16}$/);
      expect(script.versions[0]!.annotations['workers/message']).toMatch(/^promote \S+ build sha256:[0-9a-f]{64}$/);
    }
    // production has data only production has
    await fake.database(uuids.production!).query("INSERT INTO users (id, email) VALUES (1, 'ada@example.com'); INSERT INTO notes (id, user_id, body) VALUES (1, 1, 'only in production')");

    // 2. a change that breaks staging (its build is unhealthy): staging rolls back, production untouched
    await writeFiles(root, {
      'migrations/0003_tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n',
      'wrangler.jsonc': wranglerConfig({ staging: { BROKEN: 'yes' } }),
    });
    const v2 = await promote(root, ['--to', 'production', '--json']);
    expect(v2.code, v2.stderr + v2.stdout.slice(-2000)).toBe(1);
    const s2 = lastJson(v2.stdout) as { result: string; stages: { result: string; lostWritesWindowMs?: number }[] };
    expect(s2.result).toBe('rolled-back');
    expect(s2.stages.map((s) => s.result)).toEqual(['promoted', 'rolled-back', 'skipped']);
    expect(typeof s2.stages[1]!.lostWritesWindowMs).toBe('number');
    expect(await ledger('dev')).toEqual(['0001_users.sql', '0002_notes.sql', '0003_tags.sql']);
    expect(await ledger('staging')).toEqual(['0001_users.sql', '0002_notes.sql']);
    expect(await fake.database(uuids.staging!).query("SELECT name FROM sqlite_master WHERE name = 'tags'")).toEqual([]);
    expect(await ledger('production')).toEqual(['0001_users.sql', '0002_notes.sql']);
    expect(fake.activeVersion('app-staging')).toBe(v1Versions.staging);
    expect(fake.activeVersion('app-production')).toBe(v1Versions.production);

    // 3. staging fixed; a migration that cascades into notes: only production has notes, so only production fails
    await writeFiles(root, {
      'environments/production.yaml': envFile('production', '  - url: ${HEALTH_BASE}/production/notes/1\n    retries: 1\n    expect:\n      status: 200\nbackup: true\n'),
      'wrangler.jsonc': wranglerConfig(),
      'migrations/0004_users_rebuild.sql': [
        'CREATE TABLE users_new (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT);',
        'INSERT INTO users_new (id, email) SELECT id, email FROM users;',
        'DROP TABLE users;',
        'ALTER TABLE users_new RENAME TO users;',
        '',
      ].join('\n'),
      'src/index.js': 'export default { async fetch(req, env) { return Response.json({ ok: true, env: env.ENVIRONMENT, v: 3 }); } };\n',
    });
    const v3 = await promote(root, ['--to', 'production', '--json']);
    expect(v3.code, v3.stderr + v3.stdout.slice(-2000)).toBe(1);
    const s3 = lastJson(v3.stdout) as { stages: { result: string; lostWritesWindowMs?: number; bookmark?: string }[] };
    expect(s3.stages.map((s) => s.result)).toEqual(['promoted', 'promoted', 'rolled-back']);
    expect(typeof s3.stages[2]!.lostWritesWindowMs).toBe('number');
    // production restored to its bookmark: schema and rows
    expect(await ledger('production')).toEqual(['0001_users.sql', '0002_notes.sql']);
    expect(await fake.database(uuids.production!).query('SELECT id, body FROM notes')).toEqual([{ id: 1, body: 'only in production' }]);
    const cols = (await fake.database(uuids.production!).query('PRAGMA table_info(users)')) as { name: string }[];
    expect(cols.map((c) => c.name)).toEqual(['id', 'email']);
    // the Worker went back through a deployment of the previous version
    expect(fake.activeVersion('app-production')).toBe(v1Versions.production);
    const deployments = fake.scripts.get('app-production')!.deployments;
    expect(deployments.length).toBeGreaterThanOrEqual(3);
    // the optional backup taken before production migrated holds production's rows
    const backups = readdirSync(join(root, '.promote', 'backups', 'production'));
    expect(backups).toEqual([`${(lastJson(v3.stdout) as { runId: string }).runId}-DB.sql`]);
    expect(readFileSync(join(root, '.promote', 'backups', 'production', backups[0]!), 'utf8')).toContain('only in production');
    // staging keeps the change
    expect(await ledger('staging')).toEqual(['0001_users.sql', '0002_notes.sql', '0003_tags.sql', '0004_users_rebuild.sql']);

    assertNoCanary(root, [v1, v2, v3]);
  }, 300_000);

  it('refuses bad credentials before anything runs (exit 2, nothing touched)', async () => {
    const root = await project();
    const before = fake.requests.length;
    const res = await promote(root, ['--to', 'production'], { CLOUDFLARE_API_TOKEN: 'wrong-token-value' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('E_CLOUDFLARE_TOKEN');
    expect(res.stderr).toContain('CLOUDFLARE_API_TOKEN');
    expect(res.stderr).not.toContain('wrong-token-value');
    const after = fake.requests.slice(before);
    expect(after.map((r) => r.path)).toEqual(['/user/tokens/verify']);
  });
});

describe('cloudflare environments in the other commands', () => {
  it('status reads the remote ledgers, and missing credentials are exit 2 naming what to set', async () => {
    const root = await project();
    const status = await promote(root, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const envs = JSON.parse(status.stdout).environments as { name: string; target: string; databases: { pending: string[] }[] }[];
    expect(envs.map((e) => e.target)).toEqual(['cloudflare', 'cloudflare', 'cloudflare']);
    for (const e of envs) expect(e.databases[0]!.pending.length + (e.databases[0] as unknown as { applied: string[] }).applied.length).toBeGreaterThan(0);

    const missing = await promote(root, ['--to', 'production'], { CLOUDFLARE_API_TOKEN: undefined, CLOUDFLARE_ACCOUNT_ID: undefined });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('environments/dev.yaml');
    expect(missing.stderr).toContain('CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID');
  });
});
