/**
 * The layouts teams already have: 3-digit numbering, drizzle's 0000_ start, folder-per-migration
 * (wrangler's migrations_pattern), drizzle's statement-breakpoint markers, and retired files.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations, splitStatements } from '../../../src/migrations/index.js';
import { parseMigrationName } from '../../../src/migrations/migration-names.js';
import { environmentDatabases } from '../../../src/config/environment-databases.js';
import { codes, discover, rawFiles } from './helpers.js';
import { discoverMigrations } from '../../../src/migrations/discover.js';
import { nextMigrationNames } from '../../../src/cli/commands/new.js';
import type { InvalidInputError } from '../../../src/errors.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'promote-layout-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('numbering', () => {
  it('a folder numbered with 3 digits throughout is valid, and suggestions keep 3 digits', () => {
    const ok = discover({ '001_a.sql': 'SELECT 1;', '002_b.sql': 'SELECT 1;', '003_c.sql': 'SELECT 1;' });
    expect(ok.problems).toEqual([]);
    expect(ok.migrations.map((m) => m.id)).toEqual(['001', '002', '003']);
    const gap = discover({ '001_a.sql': 'SELECT 1;', '003_c.sql': 'SELECT 1;' });
    expect(gap.problems[0]).toMatchObject({ code: 'E_NUMBERING_GAP' });
    expect(gap.problems[0]!.message).toContain('002 missing');
    const dup = discover({ '001_a.sql': 'SELECT 1;', '001_b.sql': 'SELECT 1;' });
    expect(dup.problems[0]!.hint).toContain("rename '001_b.sql' to 002_b.sql");
  });

  it('promote new keeps a 3-digit folder at 3 digits and never reuses a retired number', () => {
    expect(nextMigrationNames(['001_a.sql', '002_b.sql', '.retired'], 'c').sql).toBe('003_c.sql');
    expect(nextMigrationNames(['0001_a.sql', '0008_gone.sql'], 'next').sql).toBe('0009_next.sql');
  });

  it('drizzle starts at 0000_', () => {
    const { migrations, problems } = discover({ '0000_init.sql': 'SELECT 1;', '0001_next.sql': 'SELECT 1;' });
    expect(problems).toEqual([]);
    expect(migrations.map((m) => m.number)).toEqual([0, 1]);
  });

  it('mixed widths in one folder are an error naming the odd files', () => {
    const { problems } = discover({ '001_a.sql': 'SELECT 1;', '002_b.sql': 'SELECT 1;', '0003_c.sql': 'SELECT 1;' });
    expect(codes(problems)).toEqual(['E_MIXED_NUMBER_WIDTH']);
    expect(problems[0]).toMatchObject({ severity: 'error', file: 'migrations/0003_c.sql', files: ['migrations/0003_c.sql'] });
    expect(problems[0]!.message).toContain('3 digits (migrations/001_a.sql, migrations/002_b.sql) and 4 digits (migrations/0003_c.sql)');
    expect(problems[0]!.hint).toContain("rename '0003_c.sql' to 003_c.sql");
  });

  it('a gap left by a retired migration is accepted; other gaps are not', () => {
    const files = { '0001_a.sql': 'SELECT 1;', '0003_c.sql': 'SELECT 1;', '0006_f.sql': 'SELECT 1;' };
    const retired = new Set(['0002_b.sql']);
    const { problems } = discoverMigrations(rawFiles(files), { dir: 'migrations', retired });
    expect(codes(problems)).toEqual(['E_NUMBERING_GAP']);
    expect(problems[0]!.message).toContain('0004, 0005 missing');
  });
});

describe('the .retired file', () => {
  it('is read beside the migrations, and an unreadable one is a problem, not a crash', async () => {
    const root = await tree({ 'migrations/0001_a.sql': 'SELECT 1;', 'migrations/0003_c.sql': 'SELECT 1;', 'migrations/.retired': '# removed on purpose\n0002_b.sql  # retired 2026-01-01\n', 'other/0001_a.sql': 'SELECT 1;', 'other/.retired/x': '' });
    const loaded = await loadMigrations(root, 'migrations');
    expect(loaded.retired).toEqual(new Set(['0002_b.sql']));
    expect(loaded.problems).toEqual([]);
    const broken = await loadMigrations(root, 'other');
    expect(broken.problems).toMatchObject([{ code: 'E_UNREADABLE_FILE', file: 'other/.retired' }]);
  });
});

describe("drizzle-kit's statement-breakpoint markers", () => {
  it('end a statement, with or without a semicolon, and not inside a string', () => {
    const sql = [
      'CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY NOT NULL\n);',
      '--> statement-breakpoint',
      'CREATE TABLE `posts` (`id` integer, `note` text DEFAULT \'--> statement-breakpoint\')',
      '--> statement-breakpoint',
      'CREATE INDEX `posts_id` ON `posts` (`id`);',
    ].join('\n');
    const statements = splitStatements(sql);
    expect(statements.map((s) => s.sql.split('\n')[0])).toEqual(['CREATE TABLE `users` (', "CREATE TABLE `posts` (`id` integer, `note` text DEFAULT '--> statement-breakpoint')", 'CREATE INDEX `posts_id` ON `posts` (`id`)']);
    expect(statements.map((s) => s.line)).toEqual([1, 5, 7]);
  });

  it('ends an unterminated trigger body, as drizzle splits on the marker alone', () => {
    const sql = 'CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;\n--> statement-breakpoint\nSELECT 2;';
    expect(splitStatements(sql).map((s) => s.sql)).toEqual(['CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;', 'SELECT 2']);
  });
});

describe("folder per migration (wrangler's migrations_pattern)", () => {
  it('names a migration by its path under migrations_dir, numbered by its folder', () => {
    expect(parseMigrationName('0000_tiny_wolverine/migration.sql')).toMatchObject({ id: '0000', number: 0, slug: 'tiny_wolverine', isRollback: false, baseName: '0000_tiny_wolverine/migration.sql' });
    expect(parseMigrationName('init/migration.sql')).toBeUndefined();
  });

  it('reads only what the pattern matches, like wrangler', async () => {
    const root = await tree({
      'drizzle/0000_init/migration.sql': 'CREATE TABLE a (id INTEGER PRIMARY KEY);\n--> statement-breakpoint\nCREATE INDEX a_id ON a (id);\n',
      'drizzle/0000_init/snapshot.json': '{}',
      'drizzle/0001_more/migration.sql': 'CREATE TABLE b (id INTEGER PRIMARY KEY);\n',
      'drizzle/0002_stray.sql': 'CREATE TABLE stray (id INTEGER);\n',
      'drizzle/meta/_journal.json': '{}',
    });
    const loaded = await loadMigrations(root, 'drizzle', { pattern: '*/migration.sql' });
    expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(loaded.migrations.map((m) => [m.name, m.path, m.statements.length])).toEqual([
      ['0000_init/migration.sql', 'drizzle/0000_init/migration.sql', 2],
      ['0001_more/migration.sql', 'drizzle/0001_more/migration.sql', 1],
    ]);
    // the default pattern reads the top-level files only
    expect((await loadMigrations(root, 'drizzle')).migrations.map((m) => m.name)).toEqual(['0002_stray.sql']);
  });

  it('takes the pattern from the wrangler config, with wrangler\'s rules', async () => {
    const env = (file: string) => ({ name: 'production', file: 'environments/production.yaml', config: { target: 'cloudflare' as const, wrangler: { env: 'production', config: file }, backup: false, databases: [], health: [] } });
    const root = await tree({
      'ok.jsonc': JSON.stringify({ env: { production: { d1_databases: [{ binding: 'DB', migrations_dir: './drizzle/', migrations_pattern: 'drizzle/*/migration.sql' }] } } }),
      'nodir.jsonc': JSON.stringify({ env: { production: { d1_databases: [{ binding: 'DB', migrations_pattern: 'migrations/*/migration.sql' }] } } }),
      'outside.jsonc': JSON.stringify({ env: { production: { d1_databases: [{ binding: 'DB', migrations_dir: 'db', migrations_pattern: 'other/*.sql' }] } } }),
    });
    expect(environmentDatabases(root, env('ok.jsonc'))).toEqual([{ binding: 'DB', migrationsDir: 'drizzle', migrationsPattern: '*/migration.sql', ledgerTable: 'd1_migrations', transport: 'auto' }]);
    const problemOf = (file: string): string => {
      try {
        environmentDatabases(root, env(file));
      } catch (e) {
        return (e as InvalidInputError).problems.map((p) => `${p.code}: ${p.message}`).join('; ');
      }
      return 'no problem';
    };
    expect(problemOf('nodir.jsonc')).toMatch(/^E_MIGRATIONS_PATTERN: .*without migrations_dir/);
    expect(problemOf('outside.jsonc')).toMatch(/^E_MIGRATIONS_PATTERN: .*must start with db\//);
  });
});
