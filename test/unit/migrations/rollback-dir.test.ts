import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../../src/migrations/index.js';

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function project(files: Record<string, string>): Promise<string> {
  root = await mkdtemp(join(tmpdir(), 'promote-rb-'));
  for (const [p, text] of Object.entries(files)) {
    await mkdir(join(root, p, '..'), { recursive: true });
    await writeFile(join(root, p), text);
  }
  return root;
}

describe('rollback files in migrations/rollback/ (where wrangler does not look)', () => {
  it('attaches them to their migration with their real path, and raises no warning', async () => {
    const r = await project({
      'migrations/0001_init.sql': 'CREATE TABLE a (x);\n',
      'migrations/rollback/0001_init.rollback.sql': 'DROP TABLE a;\n',
    });
    const { migrations, problems } = await loadMigrations(r, 'migrations');
    expect(problems).toEqual([]);
    expect(migrations[0]!.rollback?.path).toBe('migrations/rollback/0001_init.rollback.sql');
    expect(migrations[0]!.rollback?.statements[0]!.sql).toBe('DROP TABLE a');
  });

  it('warns when a rollback file sits beside the migrations, since wrangler would apply it forward', async () => {
    const r = await project({
      'migrations/0001_init.sql': 'CREATE TABLE a (x);\n',
      'migrations/0001_init.rollback.sql': 'DROP TABLE a;\n',
    });
    const { migrations, problems } = await loadMigrations(r, 'migrations');
    expect(migrations[0]!.rollback?.path).toBe('migrations/0001_init.rollback.sql');
    expect(problems).toMatchObject([
      { severity: 'warning', code: 'W_ROLLBACK_VISIBLE_TO_WRANGLER', file: 'migrations/0001_init.rollback.sql' },
    ]);
    expect(problems[0]!.hint).toContain('migrations/rollback/0001_init.rollback.sql');
  });

  it('rejects two rollbacks for one migration, a forward file in rollback/, and an orphan there', async () => {
    const r = await project({
      'migrations/0001_init.sql': 'CREATE TABLE a (x);\n',
      'migrations/0001_init.rollback.sql': 'DROP TABLE a;\n',
      'migrations/rollback/0001_init.rollback.sql': 'DROP TABLE a;\n',
      'migrations/rollback/0002_next.sql': 'CREATE TABLE b (x);\n',
      'migrations/rollback/0009_gone.rollback.sql': 'DROP TABLE z;\n',
    });
    const { problems } = await loadMigrations(r, 'migrations');
    const errors = problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => p.code).sort()).toEqual(['E_DUPLICATE_ROLLBACK', 'E_FORWARD_IN_ROLLBACK_DIR', 'E_ORPHAN_ROLLBACK']);
    expect(errors.find((p) => p.code === 'E_DUPLICATE_ROLLBACK')!.files).toEqual([
      'migrations/0001_init.rollback.sql',
      'migrations/rollback/0001_init.rollback.sql',
    ]);
    expect(errors.find((p) => p.code === 'E_FORWARD_IN_ROLLBACK_DIR')!.file).toBe('migrations/rollback/0002_next.sql');
    expect(errors.find((p) => p.code === 'E_ORPHAN_ROLLBACK')!.file).toBe('migrations/rollback/0009_gone.rollback.sql');
  });
});
