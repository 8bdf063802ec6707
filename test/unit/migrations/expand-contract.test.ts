import { describe, expect, it } from 'vitest';
import { classifyMigration } from '../../../src/migrations/expand-contract.js';
import { splitStatements } from '../../../src/migrations/split-statements.js';

const classify = (sql: string) => classifyMigration({ name: '0002_x.sql', path: 'migrations/0002_x.sql', statements: splitStatements(sql) });

describe('expand/contract classification', () => {
  it.each([
    ['a new table', 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);'],
    ['a new table if not exists', 'CREATE TABLE IF NOT EXISTS "tags" (id INTEGER PRIMARY KEY);'],
    ['a nullable column', 'ALTER TABLE users ADD COLUMN nickname TEXT;'],
    ['a NOT NULL column with a default', "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';"],
    ['a column with a CHECK on itself', 'ALTER TABLE users ADD age INTEGER CHECK (age >= 0);'],
    ['an index', 'CREATE INDEX users_email ON users(email);'],
    ['a unique index', 'CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users(email);'],
    ['a view', 'CREATE VIEW active_users AS SELECT * FROM users WHERE deleted IS NULL;'],
    ['a trigger with a multi-line body', 'CREATE TRIGGER notes_touch AFTER UPDATE ON notes\nBEGIN\n  UPDATE notes SET updated = 1 WHERE id = NEW.id;\n  DELETE FROM audit WHERE id = 0;\nEND;'],
    ['a virtual table', 'CREATE VIRTUAL TABLE notes_fts USING fts5(body);'],
    ['a backfill', "UPDATE users SET plan = 'free' WHERE plan IS NULL;\nINSERT INTO tags (name) VALUES ('a');"],
    ['dropping an index', 'DROP INDEX IF EXISTS users_email;'],
    ['a scratch table made and dropped in the same file', 'CREATE TABLE tmp (id INTEGER);\nINSERT INTO tmp VALUES (1);\nDROP TABLE tmp;'],
    ['a pragma', 'PRAGMA foreign_keys = ON;'],
  ])('%s is expand', (_what, sql) => {
    const c = classify(sql);
    expect(c.reasons).toEqual([]);
    expect(c.class).toBe('expand');
  });

  it.each([
    ['dropping a table', 'DROP TABLE notes;', 'drops table notes', 1],
    ['dropping a table if it exists, schema-qualified', 'DROP TABLE IF EXISTS main."notes";', 'drops table notes', 1],
    ['dropping a view', 'DROP VIEW active_users;', 'drops view active_users', 1],
    ['renaming a table', 'ALTER TABLE notes RENAME TO memos;', 'renames table notes to memos', 1],
    ['renaming a column', 'ALTER TABLE notes RENAME COLUMN body TO text;', 'renames a column of notes', 1],
    ['renaming a column without COLUMN', 'ALTER TABLE notes RENAME body TO text;', 'renames a column of notes', 1],
    ['dropping a column', '-- no longer used\nALTER TABLE users DROP COLUMN nickname;', 'drops a column of users', 2],
    ['a NOT NULL column without a default', 'ALTER TABLE users ADD COLUMN tenant INTEGER NOT NULL;', 'adds a NOT NULL column without a default to users', 1],
  ])('%s is contract', (_what, sql, reason, line) => {
    const c = classify(sql);
    expect(c.class).toBe('contract');
    expect(c.reasons).toEqual([{ line, reason }]);
  });

  it('a table recreation is one contract reason, naming a narrowed CHECK and a NOT NULL column without default', () => {
    const c = classify(
      [
        'CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER CHECK (age BETWEEN 0 AND 150), tenant INTEGER NOT NULL);',
        'INSERT INTO users_new (id, email, age, tenant) SELECT id, email, age, 1 FROM users;',
        'DROP TABLE users;',
        'ALTER TABLE users_new RENAME TO users;',
      ].join('\n'),
    );
    expect(c.class).toBe('contract');
    expect(c.reasons).toEqual([{ line: 3, reason: 'recreates table users (with a NOT NULL column without a default and a CHECK (narrower than before?))' }]);
  });

  it('keywords inside strings and comments do not count', () => {
    const c = classify("-- DROP TABLE users;\nINSERT INTO log (msg) VALUES ('DROP TABLE users; ALTER TABLE x RENAME TO y');");
    expect(c.class).toBe('expand');
  });

  it('a migration that expands and contracts is contract, with every reason in line order', () => {
    const c = classify('CREATE TABLE tags (id INTEGER PRIMARY KEY);\nALTER TABLE notes DROP COLUMN legacy;\nDROP TABLE old_tags;');
    expect(c.class).toBe('contract');
    expect(c.reasons.map((r) => r.line)).toEqual([2, 3]);
  });

  it('CRLF files classify like LF ones', () => {
    expect(classify('ALTER TABLE users\r\n  DROP COLUMN nickname;\r\n').reasons).toEqual([{ line: 1, reason: 'drops a column of users' }]);
  });
});
