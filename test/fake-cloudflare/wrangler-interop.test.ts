/**
 * The real wrangler binary pointed at the fake (CLOUDFLARE_API_BASE_URL): D1 migrations,
 * deploy, deployments status/list, versions, rollback, and D1 time travel/export commands.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

const WRANGLER = resolve(import.meta.dirname, '../../node_modules/.bin/wrangler');

let fake: FakeCloudflare;
let root: string;
let dbUuid: string;
let stagingUuid: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function wrangler(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'SYSTEMROOT', 'TMPDIR', 'TEMP', 'TMP']) if (process.env[key]) env[key] = process.env[key];
  Object.assign(env, fake.env, {
    HOME: join(root, '.home'),
    XDG_CONFIG_HOME: join(root, '.home', '.config'),
    WRANGLER_SEND_METRICS: 'false',
    CI: 'true',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    WRANGLER_LOG_PATH: join(root, '.home', 'logs'),
    ...extraEnv,
  });
  return new Promise((resolvePromise, reject) => {
    const child = spawn(WRANGLER, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

const show = (run: Run): string => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}\n--- unrouted\n${unrouted()}`;
const unrouted = (): string =>
  fake.requests
    .filter((r) => r.status === 404 || r.status >= 500)
    .map((r) => `${r.method} ${r.path} -> ${r.status}`)
    .join('\n');

beforeAll(async () => {
  fake = await startFakeCloudflare();
  ({ uuid: dbUuid } = await fake.addDatabase('app-db'));
  ({ uuid: stagingUuid } = await fake.addDatabase('app-staging'));
  root = await mkdtemp(join(tmpdir(), 'fake-cf-wrangler-'));
  await mkdir(join(root, 'migrations'), { recursive: true });
  await mkdir(join(root, 'src'), { recursive: true });
  await mkdir(join(root, '.home', '.config'), { recursive: true });
  const config = {
    name: 'app',
    main: 'src/index.js',
    compatibility_date: '2026-04-01',
    account_id: fake.accountId,
    d1_databases: [{ binding: 'DB', database_name: 'app-db', database_id: dbUuid, migrations_dir: 'migrations' }],
    env: {
      staging: { d1_databases: [{ binding: 'DB', database_name: 'app-staging', database_id: stagingUuid, migrations_dir: 'migrations' }] },
    },
  };
  await writeFile(join(root, 'wrangler.jsonc'), `// fake-cloudflare interop project\n${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(root, 'src', 'index.js'), 'export default { async fetch() { return new Response("v1"); } };\n');
  await writeFile(join(root, 'migrations', '0001_users.sql'), 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n');
  await writeFile(
    join(root, 'migrations', '0002_posts.sql'),
    '-- posts\r\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);\r\nCREATE INDEX posts_user ON posts(user_id);\r\n',
  );
});

afterAll(async () => {
  await fake?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('wrangler d1 against the fake', () => {
  it('migrations apply --remote applies every migration and records them in d1_migrations', async () => {
    const run = await wrangler(['d1', 'migrations', 'apply', 'DB', '--remote']);
    expect(run.code, show(run)).toBe(0);
    const db = fake.database(dbUuid);
    expect(await db.query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('users', 'posts', 'd1_migrations') ORDER BY name")).toEqual([
      { name: 'd1_migrations' },
      { name: 'posts' },
      { name: 'users' },
    ]);
    expect((await db.query('SELECT name FROM d1_migrations ORDER BY id')).map((r) => r.name)).toEqual(['0001_users.sql', '0002_posts.sql']);
    // The staging database is another database: untouched.
    expect(await fake.database(stagingUuid).query("SELECT name FROM sqlite_schema WHERE name = 'users'")).toEqual([]);
  });

  it('migrations list --remote then shows nothing pending', async () => {
    const run = await wrangler(['d1', 'migrations', 'list', 'DB', '--remote']);
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toContain('No migrations to apply');
  });

  it('execute --file --remote goes through the import flow (init, PUT, ingest, poll) and applies a CRLF trigger whole', async () => {
    await writeFile(
      join(root, 'touch.sql'),
      'ALTER TABLE posts ADD COLUMN updated_at TEXT;\r\nCREATE TRIGGER posts_touch_file AFTER UPDATE OF body ON posts\r\nBEGIN\r\n  UPDATE posts SET updated_at = \'x;\' WHERE id = NEW.id;\r\nEND;\r\n',
    );
    const from = fake.requests.length;
    const run = await wrangler(['d1', 'execute', 'DB', '--remote', '--file', 'touch.sql', '--yes']);
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toMatch(/Executed 2 queries/);
    const flow = fake.requests.slice(from).filter((r) => r.path.endsWith('/import') || r.method === 'PUT');
    expect(flow.map((r) => (r.method === 'PUT' ? 'PUT' : (JSON.parse(r.body) as { action: string }).action))).toEqual(['init', 'PUT', 'ingest', 'poll']);
    expect(await fake.database(dbUuid).query("SELECT name FROM sqlite_schema WHERE name = 'posts_touch_file'")).toEqual([{ name: 'posts_touch_file' }]);
  });

  it('execute --file --remote of a failing file exits non-zero and leaves the database as it was', async () => {
    await writeFile(join(root, 'bad.sql'), 'CREATE TABLE half (x);\nINSERT INTO nope VALUES (1);\n');
    const before = await fake.database(dbUuid).dump();
    const run = await wrangler(['d1', 'execute', 'DB', '--remote', '--file', 'bad.sql', '--yes']);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain('no such table: nope');
    expect(await fake.database(dbUuid).dump()).toBe(before);
  });
});

interface OutputRecord {
  type: string;
  version_id?: string;
  worker_name?: string;
  wrangler_environment?: string;
}

async function readOutput(file: string): Promise<OutputRecord[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as OutputRecord);
}

describe('wrangler deploy, deployments, versions and rollback against the fake', () => {
  let first: string;
  let second: string;

  it('deploy --env staging uploads a version and deploys it at 100%', async () => {
    const outputFile = join(root, '.home', 'output-1.ndjson');
    const run = await wrangler(['deploy', '--env', 'staging'], { WRANGLER_OUTPUT_FILE_PATH: outputFile });
    expect(run.code, show(run)).toBe(0);
    const deployRecord = (await readOutput(outputFile)).find((r) => r.type === 'deploy');
    expect(deployRecord).toMatchObject({ type: 'deploy', wrangler_environment: 'staging', version_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    first = deployRecord!.version_id!;
    expect(run.stdout).toContain(`Current Version ID: ${first}`);

    const script = fake.scripts.get('app-staging');
    expect(script?.versions.map((v) => v.id)).toEqual([first]);
    expect(script?.versions[0]?.bindings).toContainEqual(expect.objectContaining({ type: 'd1', name: 'DB', id: stagingUuid }));
    expect(script?.versions[0]?.modules.map((m) => m.name)).toEqual(['index.js']);
    expect(fake.activeVersion('app-staging')).toBe(first);
    // The first upload of a Worker goes through PUT .../workers/scripts/:name.
    expect(fake.requests.some((r) => r.method === 'PUT' && r.path === `/accounts/${fake.accountId}/workers/scripts/app-staging`)).toBe(true);
  });

  it('a second deploy goes through the versions API and creates a new deployment', async () => {
    await writeFile(join(root, 'src', 'index.js'), 'export default { async fetch() { return new Response("v2"); } };\n');
    const outputFile = join(root, '.home', 'output-2.ndjson');
    const run = await wrangler(['deploy', '--env', 'staging', '--message', 'second'], { WRANGLER_OUTPUT_FILE_PATH: outputFile });
    expect(run.code, show(run)).toBe(0);
    second = (await readOutput(outputFile)).find((r) => r.type === 'deploy')!.version_id!;
    expect(second).not.toBe(first);
    const script = fake.scripts.get('app-staging')!;
    expect(script.versions.map((v) => v.id)).toEqual([first, second]);
    expect(script.deployments).toHaveLength(2);
    expect(script.deployments[1]).toMatchObject({ versions: [{ version_id: second, percentage: 100 }], annotations: { 'workers/message': 'second' } });
    expect(fake.requests.some((r) => r.method === 'POST' && r.path.endsWith('/workers/scripts/app-staging/versions'))).toBe(true);
  });

  it('deployments status --json shows what serves now; deployments list --json is oldest first', async () => {
    const status = await wrangler(['deployments', 'status', '--json', '--env', 'staging']);
    expect(status.code, show(status)).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ strategy: 'percentage', versions: [{ version_id: second, percentage: 100 }] });

    const list = await wrangler(['deployments', 'list', '--json', '--env', 'staging']);
    expect(list.code, show(list)).toBe(0);
    const deployments = JSON.parse(list.stdout) as { versions: { version_id: string }[] }[];
    expect(deployments.map((d) => d.versions[0]!.version_id)).toEqual([first, second]);

    const human = await wrangler(['deployments', 'status', '--env', 'staging']);
    expect(human.code, show(human)).toBe(0);
    expect(human.stdout).toContain(second);
  });

  it('versions list --json and versions view answer from the version list', async () => {
    const list = await wrangler(['versions', 'list', '--json', '--env', 'staging']);
    expect(list.code, show(list)).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((v) => v.id)).toEqual([first, second]);

    const view = await wrangler(['versions', 'view', first, '--json', '--env', 'staging']);
    expect(view.code, show(view)).toBe(0);
    expect(JSON.parse(view.stdout)).toMatchObject({ id: first });
  });

  it('rollback <previous version> -m msg -y creates a deployment pointing at it', async () => {
    const run = await wrangler(['rollback', first, '-m', 'bad release', '-y', '--env', 'staging']);
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toContain(`Current Version ID: ${first}`);
    const script = fake.scripts.get('app-staging')!;
    expect(script.deployments).toHaveLength(3);
    expect(script.deployments[2]).toMatchObject({ versions: [{ version_id: first, percentage: 100 }], annotations: { 'workers/message': 'bad release' } });
    expect(fake.activeVersion('app-staging')).toBe(first);
    expect(script.versions).toHaveLength(2);

    const status = await wrangler(['deployments', 'status', '--json', '--env', 'staging']);
    expect(JSON.parse(status.stdout)).toMatchObject({ versions: [{ version_id: first, percentage: 100 }] });
  });

  it('wrangler 4.86 retries an upload answered 500, but not one answered 429', async () => {
    const versionsPath = /\/workers\/scripts\/app-staging\/versions$/;
    const before = fake.scripts.get('app-staging')!.versions.length;
    fake.faults.failNext(1, '500', { method: 'POST', path: versionsPath });
    const retried = await wrangler(['deploy', '--env', 'staging']);
    expect(retried.code, show(retried)).toBe(0);
    expect(fake.scripts.get('app-staging')!.versions).toHaveLength(before + 1);

    fake.faults.failNext(1, '429', { method: 'POST', path: versionsPath });
    const refused = await wrangler(['deploy', '--env', 'staging']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('971');
    expect(fake.scripts.get('app-staging')!.versions).toHaveLength(before + 1);
    expect(fake.faults.pending).toBe(0);
  });

  it('deploy with a database_id the account does not have fails like on Cloudflare (code 10021)', async () => {
    const config = JSON.parse((await readFile(join(root, 'wrangler.jsonc'), 'utf8')).replace(/^\/\/.*\n/, '')) as Record<string, unknown>;
    const broken = { ...config, name: 'broken', d1_databases: [{ binding: 'DB', database_name: 'nope', database_id: '00000000-0000-4000-8000-000000000000' }], env: undefined };
    await writeFile(join(root, 'broken.jsonc'), JSON.stringify(broken));
    const run = await wrangler(['deploy', '--config', 'broken.jsonc']);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain('You must use a real database in the database_id configuration');
    expect(fake.scripts.has('broken')).toBe(false);
  });
});

describe('wrangler d1 time-travel and export against the fake', () => {
  it('time-travel info gives the current bookmark and restore --bookmark brings the old state back', async () => {
    const info = await wrangler(['d1', 'time-travel', 'info', 'app-db', '--json']);
    expect(info.code, show(info)).toBe(0);
    const { bookmark } = JSON.parse(info.stdout) as { bookmark: string };
    expect(bookmark).toBe(fake.database(dbUuid).bookmarks().at(-1));

    await fake.database(dbUuid).query("INSERT INTO users (email) VALUES ('late@x')");
    const restore = await wrangler(['d1', 'time-travel', 'restore', 'app-db', '--bookmark', bookmark, '--json']);
    expect(restore.code, show(restore)).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ bookmark, message: 'Database restored successfully' });
    expect(await fake.database(dbUuid).query('SELECT count(*) AS n FROM users')).toEqual([{ n: 0 }]);
  });

  it('d1 export --remote downloads the dump from the signed URL', async () => {
    const output = join(root, '.home', 'export.sql');
    const run = await wrangler(['d1', 'export', 'app-db', '--remote', '--output', output]);
    expect(run.code, show(run)).toBe(0);
    const sql = await readFile(output, 'utf8');
    expect(sql).toContain('CREATE TABLE users');
    expect(sql).toContain(`INSERT INTO "d1_migrations"`);
  });
});

describe('what wrangler asked for', () => {
  it('every request wrangler made hit a route the fake implements, with the token', () => {
    const unroutedRequests = fake.requests.filter((r) => r.response?.includes('"code":7003'));
    expect(unroutedRequests.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(fake.requests.every((r) => r.path.startsWith('/__fake/') || r.headers.authorization === `Bearer ${fake.token}`)).toBe(true);
    const used = new Set(fake.requests.map((r) => `${r.method} ${r.path.replace(fake.accountId, ':account').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')}`));
    for (const expected of [
      'POST /accounts/:account/d1/database/:id/query',
      'PUT /accounts/:account/workers/scripts/app-staging',
      'POST /accounts/:account/workers/scripts/app-staging/versions',
      'POST /accounts/:account/workers/scripts/app-staging/deployments',
      'GET /accounts/:account/workers/scripts/app-staging/deployments',
      'GET /accounts/:account/d1/database/:id/time_travel/bookmark',
      'POST /accounts/:account/d1/database/:id/time_travel/restore',
      'POST /accounts/:account/d1/database/:id/export',
    ]) {
      expect(used).toContain(expected);
    }
  });
});
