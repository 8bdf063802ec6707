/**
 * The schema fingerprint on real D1 (Miniflare): the same schema written
 * differently fingerprints the same, and every kind of real change shows as
 * a difference naming the object and the part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFingerprint, readSchemaRowsPerObject, SCHEMA_READ } from '../../../src/ledger/schema-read.js';
import { fingerprintDigest, fingerprintSchema, type SchemaFingerprint } from '../../../src/schema/fingerprint.js';
import { diffSchemas, renderDifference } from '../../../src/schema/schema-diff.js';
import { startD1Pool, type D1Pool } from '../../helpers/miniflare-d1.js';

let pool: D1Pool;
beforeAll(async () => {
  pool = await startD1Pool(40);
}, 60_000);
afterAll(() => pool?.dispose());

async function fingerprintOf(statements: string[], exclude: string[] = ['d1_migrations']): Promise<SchemaFingerprint> {
  const conn = await pool.next();
  await conn.batch(statements.map((sql) => ({ sql })));
  return readFingerprint(conn, exclude);
}

const BASE = [
  "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, nick TEXT DEFAULT 'x', CHECK (length(email) > 3))",
  'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT)',
  'CREATE INDEX notes_user ON notes(user_id)',
  'CREATE INDEX users_nick ON users(nick) WHERE nick IS NOT NULL',
  'CREATE VIEW user_notes AS SELECT u.email, n.body FROM users u JOIN notes n ON n.user_id = u.id',
  "CREATE TRIGGER users_touch AFTER INSERT ON users BEGIN UPDATE users SET nick = 'new' WHERE id = NEW.id; END",
];

/** BASE again, written as another person would: quoting, case, comments, CRLF, spacing, IF NOT EXISTS. */
const RESTYLED = [
  `create table if not exists "users" (\r\n  -- the key\r\n  "id" integer primary key,\r\n  [email] text not null unique, /* login */\r\n  \`nick\` text default 'x',\r\n  check(LENGTH("email")>3)\r\n)`,
  `CREATE TABLE "notes"(\r\n"id" INTEGER PRIMARY KEY,\r\n"user_id" INTEGER NOT NULL REFERENCES "users" ("id") on delete cascade,\r\n"body" TEXT\r\n)`,
  'create index "notes_user" on "notes" ( "user_id" )',
  'CREATE INDEX users_nick ON users (nick) where NICK is not null',
  'create view user_notes as\r\n  select U.EMAIL, N.BODY\r\n  from users U join notes N on N.USER_ID = U.ID',
  "CREATE TRIGGER \"users_touch\" after insert on \"users\"\r\nbegin\r\n  -- keep nick fresh\r\n  update users set nick = 'new' where id = new.id;\r\nend",
];

describe('schema fingerprint', () => {
  it('reads the whole schema in one batch, whatever the number of tables', () => {
    expect(SCHEMA_READ.length).toBe(6);
  });

  it('is equal for the same schema written differently (quoting, case, comments, CRLF)', async () => {
    const a = await fingerprintOf(BASE);
    const b = await fingerprintOf(RESTYLED);
    expect(diffSchemas(a, b)).toEqual([]);
    expect(fingerprintDigest(a)).toBe(fingerprintDigest(b));
    expect(a.objects.map((o) => `${o.type} ${o.name}`)).toEqual([
      'table notes',
      'table users',
      'index notes_user',
      'index users_nick',
      'view user_notes',
      'trigger users_touch',
    ]);
  });

  it('leaves out the ledger, promote’s own tables and D1’s internal ones', async () => {
    const withBookkeeping = await fingerprintOf([
      ...BASE,
      'CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
      'CREATE TABLE promote_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL)',
      'CREATE TABLE promote_lock (id INTEGER PRIMARY KEY)',
      'CREATE TABLE _migrations (filename TEXT)',
      'CREATE INDEX idx_m ON _migrations(filename)',
    ], ['d1_migrations', '_migrations', 'promote_migrations', 'promote_lock']);
    expect(fingerprintDigest(withBookkeeping)).toBe(fingerprintDigest(await fingerprintOf(BASE)));
  });

  const changes: [string, (sql: string[]) => string[], string][] = [
    ['column type', (s) => s.map((x) => x.replace('nick TEXT', 'nick VARCHAR(20)')), "table users: column nick TEXT DEFAULT 'x' in the migrations, nick VARCHAR(20) DEFAULT 'x' in live"],
    ['default', (s) => s.map((x) => x.replace("DEFAULT 'x'", "DEFAULT 'y'")), "table users: column nick TEXT DEFAULT 'x' in the migrations, nick TEXT DEFAULT 'y' in live"],
    ['NOT NULL', (s) => s.map((x) => x.replace('body TEXT', 'body TEXT NOT NULL')), 'table notes: column body TEXT in the migrations, body TEXT NOT NULL in live'],
    ['index uniqueness', (s) => s.map((x) => x.replace('CREATE INDEX notes_user', 'CREATE UNIQUE INDEX notes_user')), 'index notes_user: definition ON notes (user_id) in the migrations, UNIQUE ON notes (user_id) in live'],
    ['partial index', (s) => s.map((x) => x.replace(' WHERE nick IS NOT NULL', " WHERE nick <> ''")), "index users_nick: definition ON users (nick) WHERE NICK IS NOT NULL in the migrations, ON users (nick) WHERE NICK<>'' in live"],
    ['trigger body', (s) => s.map((x) => x.replace("SET nick = 'new'", "SET nick = 'fresh'")), 'trigger users_touch: sql'],
    ['foreign key action', (s) => s.map((x) => x.replace('ON DELETE CASCADE', 'ON DELETE SET NULL')), 'table notes: foreign key (user_id) REFERENCES users (id) ON UPDATE NO ACTION ON DELETE CASCADE only in the migrations'],
    ['check constraint', (s) => s.map((x) => x.replace('length(email) > 3', 'length(email) > 4')), 'table users: check LENGTH(EMAIL)>3 only in the migrations'],
    ['unique constraint', (s) => s.map((x) => x.replace('email TEXT NOT NULL UNIQUE', 'email TEXT NOT NULL')), 'table users: unique UNIQUE (email) only in the migrations'],
    ['view', (s) => s.map((x) => x.replace('SELECT u.email,', 'SELECT u.id, u.email,')), 'view user_notes: sql'],
  ];

  for (const [kind, change, expected] of changes) {
    it(`differs for a change of ${kind}`, async () => {
      const base = await fingerprintOf(BASE);
      const live = await fingerprintOf(change(BASE));
      expect(fingerprintDigest(live)).not.toBe(fingerprintDigest(base));
      const lines = diffSchemas(base, live).map(renderDifference);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toContain(expected);
    });
  }

  it('reads the same fingerprint with plain per-object pragmas (the fallback should D1 refuse the pragma functions)', async () => {
    const conn = await pool.next();
    await conn.batch(BASE.map((sql) => ({ sql })));
    const perObject = fingerprintSchema(await readSchemaRowsPerObject(conn), { exclude: ['d1_migrations'] });
    expect(perObject).toEqual(await readFingerprint(conn, ['d1_migrations']));
    expect(perObject.objects).toHaveLength(6);
  });

  it('names an extra column as only in live, as data and as a line', async () => {
    const base = await fingerprintOf(BASE);
    const live = await fingerprintOf([...BASE, 'ALTER TABLE users ADD COLUMN nickname TEXT']);
    const diff = diffSchemas(base, live);
    expect(diff).toEqual([{ object: 'table users', kind: 'column', live: 'nickname TEXT' }]);
    expect(diff.map(renderDifference)).toEqual(['table users: column nickname TEXT only in live']);
  });

  it('names whole objects on one side only', async () => {
    const base = await fingerprintOf(BASE);
    const live = await fingerprintOf([...BASE.filter((s) => !s.startsWith('CREATE VIEW')), 'CREATE TABLE audit (id INTEGER PRIMARY KEY)']);
    expect(diffSchemas(base, live).map(renderDifference)).toEqual(['view user_notes only in the migrations', 'table audit only in live']);
  });
});
