import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_FILES, batchEnv, cleanupProjects, ledgerNames, makeProject, queryEnv, runCli, tableNames, writeFiles } from '../helpers/project.js';

afterAll(cleanupProjects);

describe('promote migrate on the local target', () => {
  it('applies pending migrations with ledger and metadata rows, then is a no-op', async () => {
    const root = await makeProject();
    const first = await runCli(['migrate', '--env', 'dev', '--cwd', root, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout.trim().split('\n').at(-1)!);
    expect(summary.databases[0].applied).toEqual(['0001_init.sql', '0002_notes.sql']);
    expect(summary.databases[0].requests).toBe(1); // both files in one transaction
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_init.sql', '0002_notes.sql']);
    const meta = await queryEnv(root, 'dev', 'SELECT name, checksum, run_id, duration_ms, adopted FROM promote_migrations ORDER BY name');
    expect(meta).toHaveLength(2);
    expect(meta[0]!.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meta[0]!.run_id).toBe(summary.runId);
    expect(typeof meta[0]!.duration_ms).toBe('number');
    expect(meta[0]!.adopted).toBe(0);
    // other environments are untouched
    expect(await ledgerNames(root, 'staging')).toEqual([]);

    const again = await runCli(['migrate', '--env', 'dev', '--cwd', root, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!).databases[0].applied).toEqual([]);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_init.sql', '0002_notes.sql']);
  });

  it('status --json reports applied, pending and drift in the documented shape', async () => {
    const root = await makeProject();
    expect((await runCli(['migrate', '--env', 'staging', '--cwd', root])).code).toBe(0);
    await writeFiles(root, { 'migrations/0003_more.sql': 'ALTER TABLE notes ADD COLUMN title TEXT;\n' });
    await writeFile(join(root, 'migrations/0001_init.sql'), 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n');
    const res = await runCli(['status', '--json', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    const status = JSON.parse(res.stdout);
    const staging = status.environments.find((e: { name: string }) => e.name === 'staging');
    expect(staging.databases[0]).toMatchObject({
      binding: 'DB',
      applied: ['0001_init.sql', '0002_notes.sql'],
      pending: ['0003_more.sql'],
      drift: [{ name: '0001_init.sql', reason: 'checksum changed' }],
    });
    const dev = status.environments.find((e: { name: string }) => e.name === 'dev');
    expect(dev.databases[0]).toMatchObject({ applied: [], pending: ['0001_init.sql', '0002_notes.sql', '0003_more.sql'], drift: [] });
  });

  it('refuses to migrate over drift (changed or vanished file) with exit 2 and changes nothing', async () => {
    const root = await makeProject();
    expect((await runCli(['migrate', '--env', 'dev', '--cwd', root])).code).toBe(0);
    await writeFiles(root, { 'migrations/0003_more.sql': 'ALTER TABLE notes ADD COLUMN title TEXT;\n' });
    const original = await readFile(join(root, 'migrations/0002_notes.sql'), 'utf8');
    await writeFile(join(root, 'migrations/0002_notes.sql'), `${original}-- edited after it was applied\nSELECT 1;\n`);
    const changed = await runCli(['migrate', '--env', 'dev', '--cwd', root]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('migrations/0002_notes.sql');
    expect(changed.stderr).toContain('checksum changed');
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_init.sql', '0002_notes.sql']);

    await writeFile(join(root, 'migrations/0002_notes.sql'), original);
    const { rm } = await import('node:fs/promises');
    await rm(join(root, 'migrations/0002_notes.sql'));
    // the same contents under another name is a rename, refused until repair records it
    await writeFiles(root, { 'migrations/0002_renamed.sql': original });
    const renamed = await runCli(['migrate', '--env', 'dev', '--cwd', root]);
    expect(renamed.code).toBe(2);
    expect(renamed.stderr).toContain('renamed: 0002_notes.sql -> 0002_renamed.sql');
    expect(renamed.stderr).toContain('promote repair --env dev');
    // other contents: the applied file is simply gone
    await writeFiles(root, { 'migrations/0002_renamed.sql': `${original}SELECT 2;\n` });
    const vanished = await runCli(['migrate', '--env', 'dev', '--cwd', root]);
    expect(vanished.code).toBe(2);
    expect(vanished.stderr).toMatch(/0002_notes\.sql.*gone/);
    expect(vanished.stderr).toContain('promote repair --retire 0002_notes.sql');
    expect(await tableNames(root, 'dev')).not.toContain('notes_title');
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_init.sql', '0002_notes.sql']);
  });

  it('preflight stops a SQL error at file:line before the environment is touched (exit 2)', async () => {
    const root = await makeProject();
    expect((await runCli(['migrate', '--env', 'dev', '--cwd', root])).code).toBe(0);
    await writeFiles(root, {
      'migrations/0003_ok.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n',
      'migrations/0004_broken.sql': '-- adds a column\nALTER TABLE notes ADD COLUMN title TEXT;\n\nCREATE INDEX idx_missing ON notes(no_such_column);\n',
    });
    const res = await runCli(['migrate', '--env', 'dev', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('migrations/0004_broken.sql:4');
    expect(res.stderr).toMatch(/no such column|no_such_column/);
    // nothing of 0003 or 0004 reached dev
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_init.sql', '0002_notes.sql']);
    expect(await tableNames(root, 'dev')).not.toContain('tags');
    const cols = await queryEnv(root, 'dev', 'PRAGMA table_info(notes)');
    expect(cols.map((c) => c.name)).not.toContain('title');
  });

  it('a migration failing halfway leaves neither its statements nor its ledger row (atomicity)', async () => {
    const root = await makeProject();
    expect((await runCli(['migrate', '--env', 'dev', '--cwd', root])).code).toBe(0);
    await batchEnv(root, 'dev', ["INSERT INTO users (email) VALUES ('taken@example.com')"]);
    // Passes preflight (the scratch copy has the schema, not the rows) and fails on
    // the real data at its third statement: the first two must not survive.
    await writeFiles(root, {
      'migrations/0003_seed.sql': [
        'CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);',
        "INSERT INTO audit (what) VALUES ('seeded');",
        "INSERT INTO users (email) VALUES ('taken@example.com');",
        'CREATE TABLE after_failure (x);',
        '',
      ].join('\n'),
    });
    const res = await runCli(['migrate', '--env', 'dev', '--cwd', root]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('UNIQUE constraint failed');
    expect(res.stderr).toContain('0003_seed.sql');
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_init.sql', '0002_notes.sql']);
    const tables = await tableNames(root, 'dev');
    expect(tables).not.toContain('audit');
    expect(tables).not.toContain('after_failure');
    const meta = await queryEnv(root, 'dev', "SELECT name FROM promote_migrations WHERE name = '0003_seed.sql'");
    expect(meta).toEqual([]);
  });

  it('--dry-run runs preflight and applies nothing', async () => {
    const root = await makeProject();
    const res = await runCli(['migrate', '--env', 'staging', '--dry-run', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('would apply 0001_init.sql');
    expect(await ledgerNames(root, 'staging')).toEqual([]);
  });

  it('two concurrent runs never apply a migration twice', async () => {
    const root = await makeProject({ ...BASE_FILES });
    const [a, b] = await Promise.all([
      runCli(['migrate', '--env', 'dev', '--cwd', root, '--json']),
      runCli(['migrate', '--env', 'dev', '--cwd', root, '--json']),
    ]);
    expect([a.code, b.code].filter((c) => c === 0).length).toBeGreaterThanOrEqual(1);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_init.sql', '0002_notes.sql']);
    const rows = await queryEnv(root, 'dev', 'SELECT count(*) AS n FROM promote_migrations');
    expect(rows[0]!.n).toBe(2);
  });
});
