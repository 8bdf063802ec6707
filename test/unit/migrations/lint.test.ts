import { describe, expect, it } from 'vitest';
import { codes, lint, where } from './helpers.js';

const M = 'migrations/0001_a.sql';

describe('lintMigrations: statements D1 rejects', () => {
  it('E_TRANSACTION_STATEMENT for every transaction-control form, with its line', () => {
    const problems = lint({
      '0001_a.sql': [
        'BEGIN;',
        'begin transaction;',
        'BEGIN IMMEDIATE;',
        'CREATE TABLE t (id INTEGER);',
        'SAVEPOINT s1;',
        'RELEASE s1;',
        'ROLLBACK;',
        'END TRANSACTION;',
        'COMMIT;',
        'end;',
      ].join('\n'),
    });
    expect(where(problems)).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10].map((l) => `E_TRANSACTION_STATEMENT@${M}:${l}`));
    expect(problems[0]!.severity).toBe('error');
    expect(problems[0]!.hint).toContain('PRAGMA defer_foreign_keys = on');
  });

  it('E_ATTACH for ATTACH and DETACH', () => {
    expect(where(lint({ '0001_a.sql': "ATTACH DATABASE 'x.db' AS x;\nDETACH x;" }))).toEqual([`E_ATTACH@${M}:1`, `E_ATTACH@${M}:2`]);
  });

  it('E_PRAGMA_NOT_ALLOWED outside the allow-list; allowed pragmas pass in every syntax', () => {
    const problems = lint({
      '0001_a.sql': [
        'PRAGMA user_version = 3;',
        'PRAGMA journal_mode=WAL;',
        'PRAGMA main.user_version = 4;',
        'PRAGMA table_info(users);',
        'PRAGMA defer_foreign_keys = on;',
        'pragma foreign_key_check;',
        'PRAGMA optimize;',
        'PRAGMA foreign_keys = ON;',
      ].join('\n'),
    });
    expect(where(problems)).toEqual([1, 2, 3].map((l) => `E_PRAGMA_NOT_ALLOWED@${M}:${l}`));
    expect(problems[0]!.message).toContain('user_version');
  });

  it('W_FOREIGN_KEYS_OFF for PRAGMA foreign_keys = OFF in any spelling, suggesting defer_foreign_keys', () => {
    const problems = lint({ '0001_a.sql': 'PRAGMA foreign_keys=OFF;\nPRAGMA foreign_keys = 0;\nPRAGMA foreign_keys(false);' });
    expect(where(problems)).toEqual([1, 2, 3].map((l) => `W_FOREIGN_KEYS_OFF@${M}:${l}`));
    expect(problems[0]!.severity).toBe('warning');
    expect(problems[0]!.hint).toContain('defer_foreign_keys');
  });

  it('E_STATEMENT_TOO_LONG counts UTF-8 bytes', () => {
    const big = `INSERT INTO t VALUES ('${'é'.repeat(50_000)}');`; // 50,000 characters, 100,000+ bytes
    const small = `INSERT INTO t VALUES ('${'e'.repeat(90_000)}');`;
    expect(where(lint({ '0001_a.sql': `${small}\n${big}` }))).toEqual([`E_STATEMENT_TOO_LONG@${M}:2`]);
  });

  it('E_VIRTUAL_TABLE_MODULE for modules D1 lacks; fts5 and rtree pass', () => {
    const problems = lint({
      '0001_a.sql': [
        'CREATE VIRTUAL TABLE docs USING fts5(body);',
        'CREATE VIRTUAL TABLE IF NOT EXISTS boxes USING rtree(id, x0, x1);',
        'CREATE VIRTUAL TABLE old USING fts4(body);',
        'CREATE VIRTUAL TABLE s USING spellfix1;',
      ].join('\n'),
    });
    expect(where(problems)).toEqual([`E_VIRTUAL_TABLE_MODULE@${M}:3`, `E_VIRTUAL_TABLE_MODULE@${M}:4`]);
    expect(problems[0]!.message).toContain('fts4');
  });

  it('E_RESERVED_NAME for objects named _cf_*, including renames', () => {
    const problems = lint({
      '0001_a.sql': 'CREATE TABLE _cf_x (id);\nCREATE INDEX "_CF_idx" ON t (a);\nALTER TABLE t RENAME TO _cf_t;\nCREATE TABLE t (_cf_col TEXT);',
    });
    expect(where(problems)).toEqual([1, 2, 3].map((l) => `E_RESERVED_NAME@${M}:${l}`));
  });

  it('E_LEDGER_TABLE for d1_migrations and promote_* being created, altered, dropped or written', () => {
    const problems = lint({
      '0001_a.sql': [
        'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER);',
        'DROP TABLE promote_runs;',
        'ALTER TABLE "promote_ledger" ADD COLUMN x TEXT;',
        'DELETE FROM d1_migrations WHERE id = 1;',
        'CREATE TABLE promotions (id);',
        "SELECT * FROM d1_migrations WHERE name = 'promote_x';",
      ].join('\n'),
    });
    expect(where(problems.filter((p) => p.severity === 'error'))).toEqual([1, 2, 3, 4].map((l) => `E_LEDGER_TABLE@${M}:${l}`));
    expect(codes(problems.filter((p) => p.severity === 'warning'))).toEqual(['W_DROP_TABLE']);
  });

  it('E_INCOMPLETE_STATEMENT for a trigger without END and an unclosed string', () => {
    expect(where(lint({ '0001_a.sql': 'CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  DELETE FROM b;\n' }))).toEqual([`E_INCOMPLETE_STATEMENT@${M}:1`]);
    expect(codes(lint({ '0001_a.sql': "SELECT 1;\nINSERT INTO t VALUES ('oops);" }))).toContain('E_INCOMPLETE_STATEMENT');
  });
});

describe('lintMigrations: data-loss warnings', () => {
  it('W_DROP_TABLE, W_DROP_COLUMN and W_DELETE_WITHOUT_WHERE', () => {
    const problems = lint({
      '0001_a.sql': [
        'DROP TABLE IF EXISTS old_stuff;',
        'ALTER TABLE users DROP COLUMN legacy;',
        'DELETE FROM sessions;',
        'DELETE FROM tokens WHERE expires < 0;',
        'WITH old AS (SELECT id FROM t WHERE x) DELETE FROM logs;',
        'DELETE FROM a WHERE id IN (SELECT id FROM b);',
      ].join('\n'),
    });
    expect(where(problems)).toEqual([`W_DROP_TABLE@${M}:1`, `W_DROP_COLUMN@${M}:2`, `W_DELETE_WITHOUT_WHERE@${M}:3`, `W_DELETE_WITHOUT_WHERE@${M}:5`]);
    expect(problems.every((p) => p.severity === 'warning')).toBe(true);
  });

  it('W_TABLE_RECREATION for DROP x followed by RENAME TO x in the same file', () => {
    const problems = lint({
      '0001_a.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);',
      '0002_b.sql': [
        'CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);',
        'INSERT INTO users_new SELECT id, name FROM users;',
        'DROP TABLE users;',
        'ALTER TABLE users_new RENAME TO users;',
      ].join('\n'),
    });
    expect(where(problems)).toEqual(['W_TABLE_RECREATION@migrations/0002_b.sql:3']);
    expect(problems[0]!.message).toContain('line 4');
  });

  it('W_CASCADE_ON_DROP when recreating a table referenced ON DELETE CASCADE (column- and table-level)', () => {
    const problems = lint({
      '0001_init.sql': [
        'CREATE TABLE users (id INTEGER PRIMARY KEY);',
        'CREATE TABLE posts (',
        '  id INTEGER PRIMARY KEY,',
        '  author INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE',
        ');',
        'CREATE TABLE likes (',
        '  user_id INTEGER, post_id INTEGER,',
        '  FOREIGN KEY (post_id) REFERENCES posts (id),',
        '  FOREIGN KEY (user_id) REFERENCES "users" (id) ON UPDATE NO ACTION ON DELETE CASCADE',
        ');',
      ].join('\n'),
      '0002_users_email.sql': [
        'CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT);',
        'INSERT INTO users_new (id) SELECT id FROM users;',
        'DROP TABLE users;',
        'ALTER TABLE users_new RENAME TO users;',
      ].join('\n'),
    });
    expect(where(problems)).toEqual(['W_CASCADE_ON_DROP@migrations/0002_users_email.sql:3']);
    const [p] = problems;
    expect(p!.message).toContain('posts (ON DELETE CASCADE, declared at migrations/0001_init.sql:4)');
    expect(p!.message).toContain('likes (ON DELETE CASCADE, declared at migrations/0001_init.sql:9)');
    expect(p!.message).toContain('recreating table users');
    expect(p!.files).toEqual(['migrations/0002_users_email.sql', 'migrations/0001_init.sql']);
    expect(p!.hint).toContain('foreign_keys = OFF does not work');
  });

  it('W_CASCADE_ON_DROP also for a plain drop and for ON DELETE SET NULL', () => {
    const problems = lint({
      '0001_a.sql': 'CREATE TABLE teams (id INTEGER PRIMARY KEY);\nCREATE TABLE members (team INTEGER REFERENCES teams ON DELETE SET NULL);',
      '0002_b.sql': 'DROP TABLE teams;',
    });
    expect(where(problems)).toEqual(['W_CASCADE_ON_DROP@migrations/0002_b.sql:1']);
    expect(problems[0]!.message).toContain('members (ON DELETE SET NULL');
  });

  it('follows the schema in order: later references, dropped children and renamed children', () => {
    const problems = lint({
      '0001_a.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE TABLE posts (u INTEGER REFERENCES users ON DELETE CASCADE);',
      '0002_b.sql': 'ALTER TABLE posts RENAME TO articles;',
      '0003_c.sql': 'DROP TABLE users;', // articles (renamed posts) still cascades
      '0004_d.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\nDROP TABLE articles;\nDROP TABLE users;',
      '0005_e.sql': 'DROP TABLE groups;\nCREATE TABLE groups (id);\nCREATE TABLE g2 (g INTEGER REFERENCES groups ON DELETE CASCADE);',
    });
    expect(where(problems)).toEqual([
      'W_CASCADE_ON_DROP@migrations/0003_c.sql:1',
      'W_DROP_TABLE@migrations/0004_d.sql:2',
      'W_DROP_TABLE@migrations/0004_d.sql:3',
      'W_DROP_TABLE@migrations/0005_e.sql:1',
    ]);
    expect(problems[0]!.message).toContain('articles');
  });

  it('does not count a self-reference or a reference without a destructive action', () => {
    const problems = lint({
      '0001_a.sql': [
        'CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES nodes(id) ON DELETE CASCADE);',
        'CREATE TABLE users (id INTEGER PRIMARY KEY);',
        'CREATE TABLE posts (u INTEGER REFERENCES users(id) ON DELETE RESTRICT ON UPDATE CASCADE, note TEXT DEFAULT \'ON DELETE CASCADE\');',
      ].join('\n'),
      '0002_b.sql': 'DROP TABLE nodes;\nDROP TABLE users;',
    });
    expect(codes(problems)).toEqual(['W_DROP_TABLE', 'W_DROP_TABLE']);
  });

  it('W_MISSING_SEMICOLON on the last line when the file ends without ;', () => {
    expect(where(lint({ '0001_a.sql': 'SELECT 1;\nSELECT\n  2\n-- trailing comment\n' }))).toEqual([`W_MISSING_SEMICOLON@${M}:3`]);
    expect(lint({ '0001_a.sql': 'SELECT 1; -- done' })).toEqual([]);
  });
});

describe('lintMigrations: rollback files', () => {
  it('are linted too, but a plain DROP TABLE / DROP COLUMN there is expected and not reported', () => {
    const problems = lint({
      '0001_a.sql': 'CREATE TABLE t (id INTEGER);\nALTER TABLE t ADD COLUMN x TEXT;',
      '0001_a.rollback.sql': 'ALTER TABLE t DROP COLUMN x;\nDROP TABLE IF EXISTS t;\nBEGIN;\nPRAGMA user_version = 0;',
    });
    expect(where(problems)).toEqual([
      'E_TRANSACTION_STATEMENT@migrations/0001_a.rollback.sql:3',
      'E_PRAGMA_NOT_ALLOWED@migrations/0001_a.rollback.sql:4',
    ]);
  });

  it('still warn about cascades, judged against the schema after their migration', () => {
    const problems = lint({
      '0001_a.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);',
      '0001_a.rollback.sql': 'DROP TABLE users;',
      '0002_b.sql': 'CREATE TABLE posts (u INTEGER REFERENCES users ON DELETE CASCADE);',
      '0002_b.rollback.sql': 'DROP TABLE users;',
      '0003_c.sql': 'CREATE TABLE x (id);',
      '0003_c.rollback.sql': 'DROP TABLE posts;\nDROP TABLE users;',
    });
    // 0001's rollback runs before posts exists; 0003's drops the child first.
    expect(where(problems)).toEqual(['W_CASCADE_ON_DROP@migrations/0002_b.rollback.sql:1']);
  });
});

describe('lintMigrations: no false positives', () => {
  it('ignores keywords inside strings, comments and identifiers', () => {
    const problems = lint({
      '0001_a.sql': [
        '-- BEGIN; DROP TABLE x; PRAGMA user_version = 1;',
        '/* COMMIT; ATTACH DATABASE */',
        'CREATE TABLE "commit" ("begin" TEXT, [end] INTEGER, `rollback` TEXT, "_cf_x" TEXT);',
        'CREATE TABLE audit (commit_sha TEXT, note TEXT);',
        "INSERT INTO audit (note) VALUES ('BEGIN; DELETE FROM users; DROP TABLE users; COMMIT;');",
        'UPDATE audit SET note = \'x\' WHERE "commit" = 1;',
        'CREATE INDEX audit_note ON audit (note);',
        'CREATE TRIGGER audit_del AFTER DELETE ON audit BEGIN',
        '  DELETE FROM "commit";',
        "  INSERT INTO audit (note) VALUES (CASE WHEN old.note IS NULL THEN 'none' ELSE 'some' END);",
        'END;',
        'SELECT * FROM audit WHERE note LIKE \'%DROP TABLE%\';',
      ].join('\n'),
    });
    expect(problems).toEqual([]);
  });

  it('handles CRLF files with triggers and reports CRLF line numbers correctly', () => {
    const sql = [
      'CREATE TABLE a (x INTEGER);',
      'CREATE TRIGGER t AFTER INSERT ON a BEGIN',
      '  UPDATE a SET x = CASE WHEN new.x > 0 THEN 1 ELSE 0 END;',
      'END;',
      'BEGIN TRANSACTION;',
    ].join('\r\n');
    expect(where(lint({ '0001_a.sql': `${sql}\r\n` }))).toEqual([`E_TRANSACTION_STATEMENT@${M}:5`]);
  });
});

describe('lintMigrations: bound parameters', () => {
  it('E_STATEMENT_PARAMETERS for placeholders (nothing binds them), naming D1\'s 100-parameter limit past it; ? in strings is text', () => {
    const many = `INSERT INTO t VALUES (${Array.from({ length: 101 }, () => '?').join(', ')});`;
    const problems = lint({ '0001_a.sql': `CREATE TABLE t (x);\nINSERT INTO t VALUES ('?', :name);\n${many}\n` });
    expect(where(problems)).toEqual([`E_STATEMENT_PARAMETERS@${M}:2`, `E_STATEMENT_PARAMETERS@${M}:3`]);
    expect(problems[0]!.message).toContain('1 parameter placeholder(s) (:name)');
    expect(problems[0]!.message).not.toContain('at most 100');
    expect(problems[1]!.message).toContain('D1 allows at most 100 bound parameters per query');
  });
});
