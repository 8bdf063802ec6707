import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../../src/migrations/checksum.js';
import { discoverMigrations } from '../../../src/migrations/discover.js';
import { codes, discover, raw } from './helpers.js';

describe('discoverMigrations: the happy path', () => {
  it('sorts by number and fills every field', () => {
    const { migrations, problems } = discover({
      '0002_add_posts.sql': 'CREATE TABLE posts (id INTEGER PRIMARY KEY);',
      '0001_init.sql': '-- Migration number: 0001\nCREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE INDEX u ON users (id);',
      '0002_add_posts.rollback.sql': 'DROP TABLE posts;',
      'README.md': '# not a migration',
      '.gitkeep': '',
    });
    // The top-level rollback file is fine for promote; only the wrangler hazard is reported.
    expect(problems.map((p) => p.code)).toEqual(['W_ROLLBACK_VISIBLE_TO_WRANGLER']);
    expect(migrations.map((m) => m.name)).toEqual(['0001_init.sql', '0002_add_posts.sql']);
    const [init, posts] = migrations;
    expect(init).toMatchObject({ number: 1, id: '0001', slug: 'init', path: 'migrations/0001_init.sql' });
    expect(init!.statements.map((s) => s.line)).toEqual([2, 3]);
    expect(init!.checksum).toBe(checksumOf(init!.sql));
    expect(init!.rollback).toBeUndefined();
    expect(posts!.rollback).toMatchObject({ name: '0002_add_posts.rollback.sql', path: 'migrations/0002_add_posts.rollback.sql' });
    expect(posts!.rollback!.statements).toHaveLength(1);
  });

  it('strips a UTF-8 BOM', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('SELECT 1;')]);
    const { migrations, problems } = discoverMigrations([raw('0001_a.sql', bytes)], { dir: 'migrations' });
    expect(problems).toEqual([]);
    expect(migrations[0]!.sql).toBe('SELECT 1;');
  });

  it('accepts any number of digits and uses the display dir as given', () => {
    const { migrations, problems } = discoverMigrations([raw('1_a.sql', 'SELECT 1;'), raw('2_b.sql', 'SELECT 2;')], { dir: 'db/migrations/' });
    expect(problems).toEqual([]);
    expect(migrations.map((m) => m.path)).toEqual(['db/migrations/1_a.sql', 'db/migrations/2_b.sql']);
  });
});

describe('checksumOf', () => {
  it('is sha256 of the text with CRLF normalised', () => {
    expect(checksumOf('a\r\nb')).toBe(checksumOf('a\nb'));
    expect(checksumOf('a\nb')).not.toBe(checksumOf('a\nc'));
    expect(checksumOf('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('discoverMigrations: errors name every file involved', () => {
  it('E_DUPLICATE_NUMBER, also across different widths', () => {
    const { problems } = discover({ '0001_init.sql': 'SELECT 1;', '0002_a.sql': 'SELECT 1;', '0002_b.sql': 'SELECT 1;', '002_c.sql': 'SELECT 1;' });
    const dup = problems.find((p) => p.code === 'E_DUPLICATE_NUMBER')!;
    expect(dup.severity).toBe('error');
    expect(dup.files).toEqual(['migrations/0002_a.sql', 'migrations/0002_b.sql', 'migrations/002_c.sql']);
    for (const f of dup.files!) expect(dup.message).toContain(f);
    expect(dup.hint).toContain("rename '0002_b.sql' to 0003_b.sql, '002_c.sql' to 0004_c.sql");
    expect(problems.filter((p) => p.code === 'E_DUPLICATE_NUMBER')).toHaveLength(1);
  });

  it('E_NUMBERING_GAP names the missing numbers and the files around the gap', () => {
    const { problems } = discover({ '0001_a.sql': 'SELECT 1;', '0002_b.sql': 'SELECT 1;', '0005_e.sql': 'SELECT 1;' });
    expect(codes(problems)).toEqual(['E_NUMBERING_GAP']);
    const gap = problems[0]!;
    expect(gap.message).toContain('0003, 0004 missing');
    expect(gap.files).toEqual(['migrations/0002_b.sql', 'migrations/0005_e.sql']);
    expect(gap.message).toContain('migrations/0002_b.sql');
    expect(gap.message).toContain('migrations/0005_e.sql');
    expect(gap.hint).toContain('allowGaps');
  });

  it('summarises a long gap as a range, and allowGaps turns the check off', () => {
    const files = { '0001_a.sql': 'SELECT 1;', '0100_b.sql': 'SELECT 1;' };
    expect(discover(files).problems[0]!.message).toContain('0002 to 0099 missing');
    expect(discover(files, true).problems).toEqual([]);
  });

  it('E_EMPTY_FILE for empty and comment-only files, forward and rollback', () => {
    const { problems, migrations } = discover({
      '0001_a.sql': '',
      '0002_b.sql': '-- Migration number: 0002\n/* todo */\n',
      '0003_c.sql': 'SELECT 1;',
      '0003_c.rollback.sql': '  \n',
    });
    expect(problems.filter((p) => p.severity === 'error').map((p) => [p.code, p.file, p.line])).toEqual([
      ['E_EMPTY_FILE', 'migrations/0001_a.sql', undefined],
      ['E_EMPTY_FILE', 'migrations/0002_b.sql', undefined],
      ['E_EMPTY_FILE', 'migrations/0003_c.rollback.sql', undefined],
    ]);
    expect(problems[2]!.hint).toContain('rollback');
    expect(migrations).toHaveLength(3); // still listed, so lint sees them
  });

  it('E_BAD_MIGRATION_NAME suggests a corrected name', () => {
    const { problems, migrations } = discover({
      '0001_a.sql': 'SELECT 1;',
      '0002_b.sql': 'SELECT 1;',
      'add users.sql': 'SELECT 1;',
      '0004-seed data.SQL': 'SELECT 1;',
      '0002_b.down.sql': 'SELECT 1;',
    });
    const hints = problems.filter((p) => p.code === 'E_BAD_MIGRATION_NAME').map((p) => p.hint);
    expect(hints).toEqual([
      "rename '0002_b.down.sql' to 0002_b.rollback.sql",
      "rename '0004-seed data.SQL' to 0004_seed_data.sql",
      "rename 'add users.sql' to 0003_add_users.sql",
    ]);
    expect(problems.find((p) => p.file === 'migrations/add users.sql')!.files).toEqual(['migrations/add users.sql']);
    expect(migrations.map((m) => m.name)).toEqual(['0001_a.sql', '0002_b.sql']);
  });

  it('E_ORPHAN_ROLLBACK, suggesting the migration with the same number when there is one', () => {
    const { problems } = discover({
      '0001_init.sql': 'SELECT 1;',
      '0001_intt.rollback.sql': 'SELECT 1;',
      '0009_gone.rollback.sql': 'SELECT 1;',
    });
    const orphans = problems.filter((p) => p.code === 'E_ORPHAN_ROLLBACK');
    expect(orphans.map((p) => p.files)).toEqual([
      ['migrations/0001_intt.rollback.sql', 'migrations/0001_init.sql'],
      ['migrations/0009_gone.rollback.sql'],
    ]);
    expect(orphans[0]!.hint).toBe("rename '0001_intt.rollback.sql' to 0001_init.rollback.sql");
    expect(orphans[1]!.message).toContain('0009_gone.sql');
  });

  it('E_INVALID_UTF8 with the line of the first bad byte, leaving the file out', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('SELECT 1;\nSELECT 2;\nSELECT \''), 0xe9, 0x27, 0x3b]);
    const { problems, migrations } = discoverMigrations([raw('0001_latin1.sql', bytes)], { dir: 'migrations' });
    expect(problems).toMatchObject([{ code: 'E_INVALID_UTF8', severity: 'error', line: 3, files: ['migrations/0001_latin1.sql'] }]);
    expect(migrations).toEqual([]);
  });

  it('E_INVALID_UTF8 for a sequence cut off at the end of the file', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('SELECT 1;\n'), 0xe2, 0x82]);
    expect(discoverMigrations([raw('0001_a.sql', bytes)], { dir: 'm' }).problems[0]).toMatchObject({ code: 'E_INVALID_UTF8', line: 2 });
  });

  it('E_MIXED_NUMBER_WIDTH when widths differ, saying where name order (old wrangler) and numeric order differ', () => {
    const files: Record<string, string> = {};
    for (let n = 1; n <= 10; n++) files[`${n}_m${n}.sql`] = 'SELECT 1;';
    const { problems } = discover(files);
    expect(problems).toMatchObject([{ code: 'E_MIXED_NUMBER_WIDTH', severity: 'error', files: ['migrations/10_m10.sql'] }]);
    expect(problems[0]!.message).toContain('would run 10_m10.sql before 1_m1.sql');
  });
});
