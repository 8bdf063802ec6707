import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../../src/migrations/index.js';
import { readMigrationDir } from '../../../src/migrations/read-migration-dir.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'promote-migrations-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readMigrationDir', () => {
  it('returns null when the directory does not exist', async () => {
    expect(await readMigrationDir(root, 'migrations')).toBeNull();
  });

  it('reads .sql files sorted by name, skipping other files, subdirectories and symlinked directories', async () => {
    const dir = join(root, 'migrations');
    await mkdir(join(dir, 'archive.sql'), { recursive: true });
    await writeFile(join(dir, '0002_b.sql'), 'SELECT 2;');
    await writeFile(join(dir, '0001_a.sql'), 'SELECT 1;');
    await writeFile(join(dir, 'README.md'), '# docs');
    await symlink(dir, join(dir, 'loop.sql')); // a directory symlink pointing at itself
    await symlink(join(dir, '0001_a.sql'), join(dir, '0003_link.sql'));
    const read = await readMigrationDir(root, 'migrations');
    expect(read!.problems).toEqual([]);
    expect(read!.files.map((f) => f.name)).toEqual(['0001_a.sql', '0002_b.sql', '0003_link.sql']);
    expect(new TextDecoder().decode(read!.files[2]!.bytes)).toBe('SELECT 1;');
  });

  it('turns an unreadable file (a broken symlink) into a problem instead of throwing', async () => {
    const dir = join(root, 'migrations');
    await mkdir(dir);
    await writeFile(join(dir, '0001_a.sql'), 'SELECT 1;');
    await symlink(join(dir, 'missing.sql'), join(dir, '0002_b.sql'));
    const read = await readMigrationDir(root, 'migrations');
    expect(read!.files.map((f) => f.name)).toEqual(['0001_a.sql']);
    expect(read!.problems).toMatchObject([{ severity: 'error', code: 'E_UNREADABLE_FILE', file: 'migrations/0002_b.sql' }]);
  });

  it('reports a path that is a file, not a directory', async () => {
    await writeFile(join(root, 'migrations'), 'oops');
    const read = await readMigrationDir(root, 'migrations');
    expect(read).toMatchObject({ files: [], problems: [{ code: 'E_UNREADABLE_DIR', file: 'migrations' }] });
  });
});

describe('loadMigrations', () => {
  it('combines read, discovery and lint problems', async () => {
    const dir = join(root, 'db', 'migrations');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '0001_init.sql'), 'CREATE TABLE users (id INTEGER PRIMARY KEY);\r\nBEGIN;\r\n');
    await writeFile(join(dir, '0003_posts.sql'), 'DROP TABLE users');
    const loaded = await loadMigrations(root, 'db/migrations');
    expect(loaded.found).toBe(true);
    expect(loaded.migrations.map((m) => m.name)).toEqual(['0001_init.sql', '0003_posts.sql']);
    expect(loaded.problems.map((p) => `${p.code}@${p.file}:${p.line ?? '-'}`)).toEqual([
      'E_NUMBERING_GAP@db/migrations/0003_posts.sql:-',
      'E_TRANSACTION_STATEMENT@db/migrations/0001_init.sql:2',
      'W_DROP_TABLE@db/migrations/0003_posts.sql:1',
      'W_MISSING_SEMICOLON@db/migrations/0003_posts.sql:1',
    ]);
    expect((await loadMigrations(root, 'db/migrations', { allowGaps: true })).problems.map((p) => p.code)).not.toContain('E_NUMBERING_GAP');
  });

  it('reports found: false for a missing directory', async () => {
    expect(await loadMigrations(root, 'migrations')).toEqual({ found: false, migrations: [], problems: [], retired: new Set() });
  });
});
