/**
 * promote and wrangler share one local database and one ledger: what either
 * applied, the other sees as applied. Runs the real wrangler binary.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, cleanupProjects, makeProject, queryEnv, runCli, writeFiles } from '../helpers/project.js';

afterAll(cleanupProjects);

const WRANGLER = join(REPO, 'node_modules', '.bin', 'wrangler');

function wrangler(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(WRANGLER, args, {
      cwd,
      env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const FILES = {
  'wrangler.jsonc': `// shared with promote
{
  "name": "interop",
  "compatibility_date": "2026-04-01",
  "d1_databases": [
    { "binding": "DB", "database_name": "interop", "database_id": "11111111-2222-4333-8444-555555555555" }
  ]
}
`,
  'pipeline/pipeline.yaml': 'name: interop\nstages:\n  - environment: dev\n',
  // dev lives in wrangler's own local state, so both tools open the same SQLite file
  'environments/dev.yaml': 'target: local\nstate: .wrangler/state/v3\ndatabases:\n  - binding: DB\n',
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n',
  'migrations/0002_posts.sql': 'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), body TEXT);\n',
};

describe('interoperability with wrangler d1 migrations (--local)', () => {
  it('reads what wrangler applied, and wrangler sees nothing pending after promote', async () => {
    const root = await makeProject(FILES);
    const applied = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local'], root);
    expect(applied.code, applied.out).toBe(0);

    const before = await runCli(['status', '--json', '--cwd', root]);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout).environments[0].databases[0]).toMatchObject({
      applied: ['0001_users.sql', '0002_posts.sql'],
      pending: [],
      drift: [],
      unverified: ['0001_users.sql', '0002_posts.sql'],
    });

    // CRLF and a trigger body with semicolons: the combination wrangler has long split wrongly remotely.
    await writeFiles(root, {
      'migrations/0003_touch.sql':
        'ALTER TABLE posts ADD COLUMN updated_at TEXT;\r\nCREATE TRIGGER posts_touch AFTER UPDATE OF body ON posts\r\nBEGIN\r\n  UPDATE posts SET updated_at = \'now; really\' WHERE id = NEW.id;\r\nEND;\r\n',
      'migrations/0004_tags.sql': "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'a;b');\n",
    });
    const migrated = await runCli(['migrate', '--env', 'dev', '--cwd', root, '--json']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout.trim().split('\n').at(-1)!).databases[0].applied).toEqual(['0003_touch.sql', '0004_tags.sql']);

    const list = await wrangler(['d1', 'migrations', 'list', 'DB', '--local'], root);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain('No migrations to apply');

    // one ledger, in wrangler's shape, in order
    const ledger = await queryEnv(root, 'dev', 'SELECT id, name FROM d1_migrations ORDER BY id');
    expect(ledger.map((r) => r.name)).toEqual(['0001_users.sql', '0002_posts.sql', '0003_touch.sql', '0004_tags.sql']);

    // wrangler-applied files were adopted: checksums recorded, marked as adopted
    const meta = await queryEnv(root, 'dev', 'SELECT name, adopted FROM promote_migrations ORDER BY name');
    expect(meta).toEqual([
      { name: '0001_users.sql', adopted: 1 },
      { name: '0002_posts.sql', adopted: 1 },
      { name: '0003_touch.sql', adopted: 0 },
      { name: '0004_tags.sql', adopted: 0 },
    ]);
    const after = JSON.parse((await runCli(['status', '--json', '--cwd', root])).stdout);
    expect(after.environments[0].databases[0]).toMatchObject({ pending: [], drift: [], unverified: [] });

    // the trigger works as written, CRLF and all
    const exec = await wrangler(
      ['d1', 'execute', 'DB', '--local', '--json', '--command', "INSERT INTO posts (body) VALUES ('x'); UPDATE posts SET body = 'y'; SELECT updated_at FROM posts"],
      root,
    );
    expect(exec.code, exec.out).toBe(0);
    expect(exec.out).toContain('now; really');
  });
});
