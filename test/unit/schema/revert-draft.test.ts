/**
 * Revert drafts on real D1 (Miniflare): for each kind of forward migration,
 * a base schema with rows, the forward SQL, then the draft generated from the
 * schema before and after it. Applying the draft must leave a schema whose
 * fingerprint equals the one before, and keep the rows of every column the
 * draft does not name as lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSchemaRows } from '../../../src/ledger/schema-read.js';
import { splitStatements } from '../../../src/migrations/split-statements.js';
import { fingerprintDigest, fingerprintSchema } from '../../../src/schema/fingerprint.js';
import { diffSchemas, renderDifference } from '../../../src/schema/schema-diff.js';
import { revertDraft } from '../../../src/schema/revert-draft.js';
import type { D1Connection } from '../../../src/d1/connection.js';
import { startD1Pool, type D1Pool } from '../../helpers/miniflare-d1.js';

let pool: D1Pool;
beforeAll(async () => {
  pool = await startD1Pool(48);
}, 60_000);
afterAll(() => pool?.dispose());

const EXCLUDE = ['d1_migrations'];

const BASE = [
  'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, age INTEGER)',
  'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT)',
  'CREATE TABLE comments (id INTEGER PRIMARY KEY, note_id INTEGER, body TEXT)',
  'CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, note TEXT) WITHOUT ROWID',
  'CREATE INDEX notes_user ON notes(user_id)',
  'CREATE VIEW user_notes AS SELECT u.email, n.body FROM users u JOIN notes n ON n.user_id = u.id',
  'CREATE TRIGGER users_email_lower AFTER INSERT ON users BEGIN UPDATE users SET email = lower(email) WHERE id = NEW.id; END',
  "INSERT INTO users (id, email, name, age) VALUES (1, 'ada@example.com', 'Ada', 36), (2, 'bob@example.com', 'Bob', 17), (3, 'cy@example.com', NULL, 52)",
  "INSERT INTO notes (id, user_id, body) VALUES (1, 1, 'first'), (2, 1, 'second'), (3, 3, 'third')",
  "INSERT INTO comments (id, note_id, body) VALUES (1, 1, 'nice'), (2, 3, 'agreed')",
  "INSERT INTO settings (key, value, note) VALUES ('theme', 'dark', 'ui'), ('lang', 'en', NULL)",
];

const USERS = 'SELECT id, email, name, age FROM users ORDER BY id';
const NOTES = 'SELECT id, user_id, body FROM notes ORDER BY id';
const COMMENTS = 'SELECT id, note_id, body FROM comments ORDER BY id';
const SETTINGS = 'SELECT key, value, note FROM settings ORDER BY key';
const ALL = [USERS, NOTES, COMMENTS, SETTINGS];

interface Case {
  name: string;
  /** More of the base schema, for this case only (run before the schema is read). */
  setup?: string;
  forward: string;
  /** Queries whose rows must be the same before the forward migration and after the draft. */
  keeps?: string[];
  /** Words the draft's list of lost data must name (empty: nothing lost). */
  lost?: string[];
  /** How the draft must undo it, where there is a cheaper way than a rebuild. */
  uses?: RegExp;
}

/** The classic 12-step rebuild of notes, with its view dropped and recreated around it. */
const rebuildNotes = (definition: string, copy = 'id, user_id, body') => `
  PRAGMA defer_foreign_keys = on;
  DROP VIEW user_notes;
  CREATE TABLE new_notes ${definition};
  INSERT INTO new_notes (${copy}) SELECT ${copy} FROM notes;
  DROP TABLE notes;
  ALTER TABLE new_notes RENAME TO notes;
  CREATE INDEX notes_user ON notes(user_id);
  CREATE VIEW user_notes AS SELECT u.email, n.body FROM users u JOIN notes n ON n.user_id = u.id;`;

const rebuildComments = (definition: string) => `
  CREATE TABLE new_comments ${definition};
  INSERT INTO new_comments (id, note_id, body) SELECT id, note_id, body FROM comments;
  DROP TABLE comments;
  ALTER TABLE new_comments RENAME TO comments;`;

const CASES: Case[] = [
  { name: 'create table (two, one referencing the other)', forward: 'CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT); CREATE TABLE note_tags (note_id INTEGER REFERENCES notes(id), tag_id INTEGER REFERENCES tags(id)); INSERT INTO tags VALUES (1, \'x\'); INSERT INTO note_tags VALUES (1, 1);' },
  { name: 'create index', forward: 'CREATE INDEX users_name ON users(name);', uses: /DROP INDEX IF EXISTS \"users_name\"/ },
  { name: 'create unique index', forward: 'CREATE UNIQUE INDEX users_email_name ON users(email, name);' },
  { name: 'create partial index', forward: 'CREATE INDEX users_adults ON users(age) WHERE age >= 18;' },
  { name: 'create expression index', forward: 'CREATE INDEX users_lower_name ON users(lower(name));' },
  { name: 'create view', forward: 'CREATE VIEW adults AS SELECT * FROM users WHERE age >= 18;' },
  { name: 'create trigger', forward: "CREATE TRIGGER notes_stamp AFTER UPDATE ON notes BEGIN UPDATE comments SET body = body || '!' WHERE note_id = NEW.id; END;" },
  { name: 'create fts5 virtual table', forward: "CREATE VIRTUAL TABLE notes_fts USING fts5(body); INSERT INTO notes_fts (body) VALUES ('hello');" },
  { name: 'add column', forward: 'ALTER TABLE users ADD COLUMN nickname TEXT;', uses: /ALTER TABLE \"users\" DROP COLUMN \"nickname\"/ },
  { name: 'add column with a default', forward: 'ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;' },
  { name: 'add column and index it', forward: 'ALTER TABLE users ADD COLUMN city TEXT; CREATE INDEX users_city ON users(city);' },
  { name: 'add column with a foreign key (rebuilt)', forward: 'ALTER TABLE comments ADD COLUMN author_id INTEGER REFERENCES users(id);' },
  { name: 'drop column', forward: 'ALTER TABLE users DROP COLUMN age;', keeps: ['SELECT id, email, name FROM users ORDER BY id', NOTES, COMMENTS, SETTINGS], lost: ['users.age'], uses: /ALTER TABLE \"users\" ADD COLUMN age INTEGER;/ },
  {
    name: 'drop a middle column of a table others reference ON DELETE CASCADE (rebuilt, children kept)',
    forward: 'ALTER TABLE users DROP COLUMN name;',
    keeps: ['SELECT id, email, age FROM users ORDER BY id', NOTES, COMMENTS, SETTINGS],
    lost: ['users.name'],
  },
  { name: 'drop a NOT NULL column without default', forward: 'ALTER TABLE settings DROP COLUMN value;', keeps: [USERS, NOTES, COMMENTS, 'SELECT key, note FROM settings ORDER BY key'], lost: ['settings.value'] },
  { name: 'rename column', forward: 'ALTER TABLE users RENAME COLUMN name TO full_name;', uses: /ALTER TABLE \"users\" RENAME COLUMN \"full_name\" TO \"name\"/ },
  { name: 'rename table', forward: 'ALTER TABLE notes RENAME TO posts;', uses: /ALTER TABLE \"posts\" RENAME TO \"notes\"/ },
  { name: 'drop table', forward: 'DROP VIEW user_notes; DROP TABLE comments;', keeps: [USERS, NOTES, SETTINGS], lost: ['comments'] },
  { name: 'drop index', forward: 'DROP INDEX notes_user;', uses: /CREATE INDEX notes_user ON notes\(user_id\)/ },
  { name: 'drop view', forward: 'DROP VIEW user_notes;' },
  { name: 'drop trigger', forward: 'DROP TRIGGER users_email_lower;' },
  { name: 'change a column type (rebuilt)', forward: rebuildNotes('(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body BLOB)') },
  { name: 'add NOT NULL and a default (rebuilt)', forward: rebuildNotes("(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT NOT NULL DEFAULT '')") },
  { name: 'add a foreign key (rebuilt)', forward: rebuildComments('(id INTEGER PRIMARY KEY, note_id INTEGER REFERENCES notes(id), body TEXT)') },
  { name: 'add a CHECK (rebuilt)', forward: rebuildComments('(id INTEGER PRIMARY KEY, note_id INTEGER, body TEXT CHECK (length(body) > 0))') },
  { name: 'make a table STRICT (rebuilt)', forward: rebuildComments('(id INTEGER PRIMARY KEY, note_id INTEGER, body TEXT) STRICT') },
  {
    name: 'rebuild that drops and renames columns',
    forward: rebuildNotes('(id INTEGER PRIMARY KEY, author INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE)', 'id, user_id').replace('INSERT INTO new_notes (id, user_id)', 'INSERT INTO new_notes (id, author)').replace('CREATE INDEX notes_user ON notes(user_id);', 'CREATE INDEX notes_user ON notes(author);').replace('CREATE VIEW user_notes AS SELECT u.email, n.body FROM users u JOIN notes n ON n.user_id = u.id;', ''),
    keeps: [USERS, 'SELECT id, user_id FROM notes ORDER BY id', COMMENTS, SETTINGS],
    lost: ['notes.body'],
  },
  {
    name: 'rename an indexed column used by a view and a trigger',
    setup: "CREATE INDEX users_name ON users(name); CREATE VIEW named AS SELECT id, name FROM users WHERE name IS NOT NULL; CREATE TRIGGER users_name_trim AFTER UPDATE OF name ON users BEGIN UPDATE users SET name = trim(name) WHERE id = NEW.id; END;",
    forward: 'ALTER TABLE users RENAME COLUMN name TO full_name;',
    uses: /RENAME COLUMN "full_name" TO "name"/,
  },
  { name: 'rename a table others reference', forward: 'ALTER TABLE users RENAME TO accounts;', uses: /ALTER TABLE "accounts" RENAME TO "users"/ },
  {
    name: 'drop an fts5 virtual table',
    setup: "CREATE VIRTUAL TABLE docs USING fts5(title, body); INSERT INTO docs (title, body) VALUES ('a', 'b');",
    forward: 'DROP TABLE docs;',
    lost: ['table docs'],
  },
  { name: 'add a generated column (rebuilt)', forward: "ALTER TABLE users ADD COLUMN domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL;" },
  {
    name: 'create a table and a column referencing it',
    forward: 'CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT); ALTER TABLE notes ADD COLUMN tag_id INTEGER REFERENCES tags(id); INSERT INTO tags VALUES (7, \'x\'); UPDATE notes SET tag_id = 7;',
  },
  {
    name: 'drop a last column that has a CHECK',
    setup: 'ALTER TABLE comments ADD COLUMN score INTEGER CHECK (score >= 0);',
    forward: 'ALTER TABLE comments DROP COLUMN score;',
    lost: ['comments.score'],
    uses: /ALTER TABLE "comments" ADD COLUMN score INTEGER CHECK \(score >= 0\)/,
  },
  {
    name: 'add a CHECK to a table others reference without an action (rebuilt, rows in after the rename)',
    setup: 'CREATE TABLE replies (id INTEGER PRIMARY KEY, comment_id INTEGER REFERENCES comments(id)); INSERT INTO replies VALUES (1, 1), (2, 2);',
    forward: `PRAGMA defer_foreign_keys = on;
      CREATE TABLE keep AS SELECT id, note_id, body FROM comments;
      CREATE TABLE new_comments (id INTEGER PRIMARY KEY, note_id INTEGER, body TEXT CHECK (body <> ''));
      DROP TABLE comments;
      ALTER TABLE new_comments RENAME TO comments;
      INSERT INTO comments (id, note_id, body) SELECT id, note_id, body FROM keep;
      DROP TABLE keep;`,
    keeps: [...ALL, 'SELECT id, comment_id FROM replies ORDER BY id'],
  },
  {
    name: 'drop a middle column of a self-referencing table (rebuilt)',
    setup: "CREATE TABLE tree (id INTEGER PRIMARY KEY, label TEXT, parent_id INTEGER REFERENCES tree(id)); INSERT INTO tree VALUES (1, 'root', NULL), (2, 'leaf', 1);",
    forward: 'ALTER TABLE tree DROP COLUMN label;',
    keeps: [...ALL, 'SELECT id, parent_id FROM tree ORDER BY id'],
    lost: ['tree.label'],
  },
  {
    name: 'rename one table and drop another of the same shape (the rename told by the names)',
    setup: "CREATE TABLE log_a (id INTEGER PRIMARY KEY, line TEXT); CREATE TABLE log_b (id INTEGER PRIMARY KEY, line TEXT); INSERT INTO log_a VALUES (1, 'kept'); INSERT INTO log_b VALUES (1, 'gone');",
    forward: 'ALTER TABLE log_a RENAME TO old_log_a; DROP TABLE log_b;',
    keeps: [...ALL, 'SELECT id, line FROM log_a'],
    lost: ['table log_b'],
    uses: /ALTER TABLE "old_log_a" RENAME TO "log_a"/,
  },
  {
    name: 'rebuild beside a table already named like its work table',
    setup: "CREATE TABLE new_comments (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO new_comments VALUES (1, 'mine');",
    forward: 'ALTER TABLE comments DROP COLUMN note_id;',
    keeps: [USERS, NOTES, SETTINGS, 'SELECT id, body FROM comments ORDER BY id', 'SELECT id, note FROM new_comments'],
    lost: ['comments.note_id'],
  },
  {
    name: 'several changes at once (table, index, view, trigger, column)',
    forward: `CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT);
      CREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN INSERT INTO audit (at) VALUES ('now'); END;
      DROP INDEX notes_user; CREATE INDEX notes_user ON notes(user_id, id);
      DROP VIEW user_notes; CREATE VIEW user_notes AS SELECT u.email FROM users u;
      ALTER TABLE users ADD COLUMN nickname TEXT;
      INSERT INTO notes (id, user_id, body) VALUES (9, 2, 'later');`,
    keeps: [USERS, COMMENTS, SETTINGS],
  },
];

async function run(conn: D1Connection, sql: string): Promise<void> {
  await conn.batch(splitStatements(sql).map((s) => ({ sql: s.sql })));
}

async function rows(conn: D1Connection, queries: readonly string[]): Promise<unknown[]> {
  return (await conn.batch(queries.map((sql) => ({ sql })))).map((r) => r.results);
}

describe('revert drafts: forward, then the draft, leaves the schema as it was', () => {
  it(`covers at least 15 kinds of forward migration (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(15);
  });

  it.each(CASES)('$name', async (c) => {
    const conn = await pool.next();
    await conn.batch(BASE.map((sql) => ({ sql })));
    if (c.setup) await run(conn, c.setup);
    const before = await readSchemaRows(conn);
    const beforePrint = fingerprintSchema(before, { exclude: EXCLUDE });
    const keeps = c.keeps ?? ALL;
    const kept = await rows(conn, keeps);

    await run(conn, c.forward);
    const after = await readSchemaRows(conn);
    expect(fingerprintDigest(fingerprintSchema(after, { exclude: EXCLUDE }))).not.toBe(fingerprintDigest(beforePrint));

    const draft = revertDraft({ migration: '0002_forward.sql', before, after, exclude: EXCLUDE });
    if (process.env.SHOW_DRAFTS) console.log(`=== ${c.name}\n${draft.sql}`);
    expect(draft.sql.startsWith('-- DRAFT rollback of 0002_forward.sql')).toBe(true);
    try {
      await run(conn, draft.sql);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- draft ---\n${draft.sql}`);
    }
    const reverted = fingerprintSchema(await readSchemaRows(conn), { exclude: EXCLUDE });
    expect(diffSchemas(beforePrint, reverted).map(renderDifference), draft.sql).toEqual([]);
    expect(fingerprintDigest(reverted)).toBe(fingerprintDigest(beforePrint));
    expect(await rows(conn, keeps), draft.sql).toEqual(kept);
    for (const word of c.lost ?? []) expect(draft.lost.join('\n')).toContain(word);
    if (!c.lost) expect(draft.lost).toEqual([]);
    if (c.uses) {
      expect(draft.sql).toMatch(c.uses);
      expect(draft.sql).not.toMatch(/CREATE TABLE "new_/);
    }
  });

  it('says so when the migration changes data only (nothing for the schema to undo)', async () => {
    const conn = await pool.next();
    await conn.batch(BASE.map((sql) => ({ sql })));
    const before = await readSchemaRows(conn);
    await run(conn, 'UPDATE users SET age = age + 1;');
    const draft = revertDraft({ migration: '0002_birthday.sql', before, after: await readSchemaRows(conn), exclude: EXCLUDE });
    expect(draft.lost).toEqual([]);
    expect(draft.warnings.join('\n')).toContain('0002_birthday.sql changes no schema');
    expect(draft.sql).toContain('undoing its data changes is for you to write here');
    await run(conn, draft.sql);
    expect(fingerprintDigest(fingerprintSchema(await readSchemaRows(conn), { exclude: EXCLUDE }))).toBe(fingerprintDigest(fingerprintSchema(before, { exclude: EXCLUDE })));
  });
});
