/**
 * Baseline's parts: the replay sends each migration once (on real D1), the
 * pure decision picks the right prefix or the closest one, and other tools'
 * ledgers are recognised and matched to files.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideBaseline, readClaims, replayPrefixes, type Replay } from '../../../src/ledger/baseline.js';
import { claimOf, detectForeignLedgers, parseForeignRows } from '../../../src/ledger/foreign-ledgers.js';
import type { SchemaObject } from '../../../src/ledger/ledger.js';
import { readFingerprint } from '../../../src/ledger/schema-read.js';
import type { Migration } from '../../../src/migrations/types.js';
import type { ScratchDatabase, SqlStatement } from '../../../src/d1/connection.js';
import { startD1Pool, type D1Pool } from '../../helpers/miniflare-d1.js';
import { discover } from '../migrations/helpers.js';

let pool: D1Pool;
beforeAll(async () => {
  pool = await startD1Pool(8);
}, 60_000);
afterAll(() => pool?.dispose());

const FILES = {
  '0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n',
  '0002_seed.sql': "INSERT INTO users (email) VALUES ('a@example.com');\n",
  '0003_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n',
  '0004_nick.sql': 'ALTER TABLE users ADD COLUMN nick TEXT;\n',
};
const migrations: Migration[] = discover(FILES).migrations;

async function scratchWithLog(): Promise<{ scratch: ScratchDatabase; sent: SqlStatement[][] }> {
  const conn = await pool.next();
  const sent: SqlStatement[][] = [];
  return {
    sent,
    scratch: {
      label: conn.label,
      batch: (statements, options) => {
        sent.push([...statements]);
        return conn.batch(statements, options);
      },
      reset: async () => undefined,
    },
  };
}

let replay: Replay;

describe('replayPrefixes', () => {
  it('applies each migration exactly once, reading the schema in the same round trip', async () => {
    const { scratch, sent } = await scratchWithLog();
    replay = await replayPrefixes(scratch, migrations, ['d1_migrations']);
    expect(replay.prints).toHaveLength(migrations.length + 1);
    // one read of the empty schema, then one batch per migration
    expect(sent).toHaveLength(1 + migrations.length);
    for (const m of migrations) {
      const sql = m.statements[0]!.sql;
      expect(sent.filter((batch) => batch.some((s) => s.sql === sql))).toHaveLength(1);
    }
    expect(replay.digests[1]).toBe(replay.digests[2]); // the seed leaves the schema as it was
    expect(new Set(replay.digests).size).toBe(4);
  });

  it('stops at a migration the scratch database rejects', async () => {
    const { scratch } = await scratchWithLog();
    const broken = discover({ ...FILES, '0003_notes.sql': 'CREATE TABLE users (id INTEGER);\n' }).migrations;
    const r = await replayPrefixes(scratch, broken, []);
    expect(r.prints).toHaveLength(3);
    expect(r.failed?.migration.name).toBe('0003_notes.sql');
    expect(r.failed?.message).toContain('already exists');
  });
});

const noClaims = readClaims(migrations, { ledger: [], foreign: [] });

describe('decideBaseline', () => {
  it('finds the longest prefix equal to the live schema', () => {
    const d = decideBaseline(replay, replay.prints[3]!, migrations, noClaims);
    expect(d).toMatchObject({ ok: true, through: 3, mode: 'search' });
  });

  it('records a schema-neutral migration but names it as unprovable', () => {
    const d = decideBaseline(replay, replay.prints[1]!, migrations, noClaims);
    expect(d.ok && d.through).toBe(2);
    expect(d.ok && d.unprovable.map((m) => m.name)).toEqual(['0002_seed.sql']);
  });

  it('checks exactly --through, and names the closest prefix on a mismatch', () => {
    expect(decideBaseline(replay, replay.prints[3]!, migrations, noClaims, 3)).toMatchObject({ ok: true, through: 3, mode: 'through' });
    const d = decideBaseline(replay, replay.prints[3]!, migrations, noClaims, 4);
    expect(d).toMatchObject({ ok: false, closest: 4, differences: [{ object: 'table users', kind: 'column', expected: 'nick TEXT' }] });
  });

  it('never goes below what our ledger records', () => {
    const claims = readClaims(migrations, { ledger: [1, 2, 3].map((id) => ({ id, name: migrations[id - 1]!.name, applied_at: '' })), foreign: [] });
    expect(decideBaseline(replay, replay.prints[1]!, migrations, claims)).toMatchObject({ ok: false });
  });

  it('proves a foreign claim exactly instead of searching past it', () => {
    const foreign = [parseForeignRows({ table: '_migrations', kind: 'filename', tool: 'x' }, [{ filename: '0001_users.sql' }, { filename: '0002_seed.sql' }, { filename: '0003_notes.sql' }])];
    const claims = readClaims(migrations, { ledger: [], foreign });
    expect(claims).toMatchObject({ recorded: 0, foreign: 3, problems: [] });
    expect(decideBaseline(replay, replay.prints[3]!, migrations, claims)).toMatchObject({ ok: true, through: 3, mode: 'claimed' });
    expect(decideBaseline(replay, replay.prints[1]!, migrations, claims)).toMatchObject({ ok: false, closest: 3, differences: [{ object: 'table notes', kind: 'object' }] });
  });

  it('finds a live schema that is no prefix at all', async () => {
    const conn = await pool.next();
    await conn.batch([{ sql: 'CREATE TABLE other (id INTEGER)' }]);
    const d = decideBaseline(replay, await readFingerprint(conn, []), migrations, noClaims);
    expect(d.ok).toBe(false);
  });
});

const table = (name: string, sql: string): SchemaObject => ({ type: 'table', name, tbl_name: name, sql });

describe("other tools' ledgers", () => {
  it('recognises each shape from its CREATE TABLE and leaves user tables alone', () => {
    const found = detectForeignLedgers(
      [
        table('_migrations', "CREATE TABLE _migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, filename TEXT UNIQUE NOT NULL, applied_at TEXT DEFAULT (datetime('now')), checksum TEXT, execution_time_ms INTEGER)"),
        table('schema_migrations', 'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)'),
        table('__drizzle_migrations', 'CREATE TABLE "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)'),
        table('old_migrations', 'CREATE TABLE old_migrations(\n\t\tid INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n)'),
        table('d1_migrations', 'CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP)'),
        table('uploads', 'CREATE TABLE uploads (id INTEGER, filename TEXT, applied_at TEXT)'),
      ],
      'd1_migrations',
    );
    expect(found.map((f) => [f.table, f.kind])).toEqual([
      ['_migrations', 'filename'],
      ['schema_migrations', 'version'],
      ['__drizzle_migrations', 'drizzle'],
      ['old_migrations', 'wrangler'],
    ]);
  });

  it('matches versions as integers and names without .sql, and drizzle rows by the file’s sha256', () => {
    const versions = parseForeignRows({ table: '_migrations', kind: 'version', tool: 'x' }, [
      { version: 1, name: '0001_users', applied_at: 1764000000000 },
      { version: 3, name: 'notes', applied_at: 1764000000 },
      { version: 4, name: '0004_other', applied_at: null },
    ]);
    const claim = claimOf(versions, migrations);
    expect(claim.claimed.map((m) => m.name)).toEqual(['0001_users.sql', '0003_notes.sql']);
    expect(claim.unknown.map((e) => e.label)).toEqual(['version 4 (0004_other)']);
    expect(versions.entries[0]!.appliedAt).toBe(new Date(1764000000000).toISOString());
    expect(versions.entries[1]!.appliedAt).toBe(new Date(1764000000 * 1000).toISOString());
    expect(readClaims(migrations, { ledger: [], foreign: [versions] }).problems).toEqual([
      '_migrations (x) lists version 4 (0004_other), which no migration file matches',
      '_migrations (x) lists 0003_notes.sql but not 0002_seed.sql: its claims are not a prefix of the files',
    ]);

    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const drizzle = parseForeignRows({ table: '__drizzle_migrations', kind: 'drizzle', tool: 'drizzle-orm' }, [
      { hash: sha(FILES['0001_users.sql']), created_at: 1764000000000 },
      { hash: sha(`\uFEFF${FILES['0002_seed.sql']}`), created_at: 1764000000001 },
    ]);
    expect(claimOf(drizzle, migrations).claimed.map((m) => m.name)).toEqual(['0001_users.sql', '0002_seed.sql']);
  });
});
