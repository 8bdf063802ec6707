/**
 * Schema drift's parts: the pure comparison (ignore globs, what counts as a
 * difference) and the check on real D1 (Miniflare): the replay of the applied
 * files in ledger order, cached by the ledger's content, and the cases where
 * the expected schema cannot be known.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedFiles, cacheFile, checkSchema, replayKey } from '../../../src/ledger/expected-schema.js';
import { bookkeepingTables, readFingerprint } from '../../../src/ledger/schema-read.js';
import type { Migration } from '../../../src/migrations/types.js';
import type { D1Connection, ScratchDatabase, SqlStatement } from '../../../src/d1/connection.js';
import { compareSchemas, isIgnoredObject, renderDifferenceBetween } from '../../../src/schema/schema-drift.js';
import type { DatabaseState } from '../../../src/ledger/ledger.js';
import { startD1Pool, type D1Pool } from '../../helpers/miniflare-d1.js';
import { discover } from '../migrations/helpers.js';

let pool: D1Pool;
let root: string;
beforeAll(async () => {
  pool = await startD1Pool(16);
  root = await mkdtemp(join(tmpdir(), 'promote-schema-drift-'));
}, 60_000);
afterAll(async () => {
  await pool?.dispose();
  await rm(root, { recursive: true, force: true });
});

const FILES = {
  '0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nick TEXT);\n',
  '0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nCREATE INDEX notes_body ON notes(body);\n',
};
const migrations: Migration[] = discover(FILES).migrations;

const ledger = (names: string[]): Pick<DatabaseState, 'ledger' | 'foreign'> => ({
  ledger: names.map((name, i) => ({ id: i + 1, name, applied_at: '2026-01-01 00:00:00' })),
  foreign: [],
});

/** A real D1 database as the scratch, counting the batches that apply migrations. */
async function countingScratch(): Promise<{ scratch: () => Promise<ScratchDatabase>; replays: () => number }> {
  const conn = await pool.next();
  let replays = 0;
  const scratch: ScratchDatabase = {
    label: `${conn.label} (scratch)`,
    batch: (statements: readonly SqlStatement[], options) => {
      if (statements.some((s) => /^\s*CREATE TABLE users/i.test(s.sql))) replays++;
      return conn.batch(statements, options);
    },
    reset: async () => {
      const objects = await conn.batch([{ sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'" }]);
      const drops = (objects[0]?.results ?? []).map((r) => ({ sql: `DROP TABLE IF EXISTS "${String(r.name)}"` }));
      if (drops.length > 0) await conn.batch(drops);
    },
  };
  return { scratch: async () => scratch, replays: () => replays };
}

async function liveWith(sql: string[]): Promise<D1Connection> {
  const conn = await pool.next();
  await conn.batch(sql.map((s) => ({ sql: s })));
  return conn;
}

const allSql = migrations.flatMap((m) => m.statements.map((s) => s.sql));

describe('compareSchemas (pure)', () => {
  it('an index added by hand is a difference; one matching schemaIgnore is not', async () => {
    const expected = await readFingerprint(await liveWith(allSql), ['d1_migrations']);
    const live = await readFingerprint(await liveWith([...allSql, 'CREATE TABLE cache_kv (k TEXT PRIMARY KEY)', 'CREATE INDEX users_email ON users(email)']), ['d1_migrations']);
    expect(compareSchemas(expected, expected)).toEqual({ status: 'matches' });
    const drift = compareSchemas(expected, live);
    expect(drift.status === 'drift' && drift.differences.map((d) => d.object)).toEqual(['table cache_kv', 'index users_email']);
    const ignored = compareSchemas(expected, live, ['cache_*']);
    expect(ignored.status === 'drift' && ignored.differences.map((d) => d.object)).toEqual(['index users_email']);
    expect(compareSchemas(expected, live, ['cache_*', 'users_*'])).toEqual({ status: 'matches' });
  });

  it('an ignored table takes its indexes and triggers with it; globs are case-insensitive', () => {
    expect(isIgnoredObject({ type: 'index', name: 'by_key', table: 'cache_kv', description: '' }, ['CACHE_*'])).toBe(true);
    expect(isIgnoredObject({ type: 'trigger', name: 't', table: 'users', sql: '' }, ['cache_*'])).toBe(false);
  });

  it('names both sides when two environments are compared', () => {
    expect(renderDifferenceBetween({ object: 'index x', kind: 'object', live: 'ON t (a)' }, 'production', 'staging')).toBe('index x only in staging');
    expect(renderDifferenceBetween({ object: 'table t', kind: 'column', expected: 'a TEXT', live: 'a INTEGER' }, 'production', 'staging')).toBe('table t: column a TEXT in production, a INTEGER in staging');
  });
});

describe('the expected schema (replay on D1, cached)', () => {
  it('a live database built by its migrations matches; a second check is a cache hit and replays nothing', async () => {
    const { scratch, replays } = await countingScratch();
    const conn = await liveWith(allSql);
    const input = { conn, scratch, ledgerTable: 'd1_migrations', migrations, retired: new Set<string>(), state: ledger(['0001_users.sql', '0002_notes.sql']), ignore: [], root };
    const first = await checkSchema(input);
    expect({ check: first.check, replay: first.replay }).toEqual({ check: { status: 'matches' }, replay: 'replayed' });
    // The live fingerprint comes back too (a fleet groups its tenants by it): users and notes.
    expect(first.live.objects.filter((o) => o.type === 'table').map((o) => o.name)).toEqual(['notes', 'users']);
    const second = await checkSchema(input);
    expect({ check: second.check, replay: second.replay }).toEqual({ check: { status: 'matches' }, replay: 'cached' });
    expect(replays()).toBe(1);
    // A hand-made change is found against the cached replay.
    await conn.batch([{ sql: 'ALTER TABLE users DROP COLUMN nick' }]);
    const drift = await checkSchema(input);
    expect(drift.replay).toBe('cached');
    expect(drift.check).toEqual({ status: 'drift', differences: [{ object: 'table users', kind: 'column', expected: 'nick TEXT' }] });
    expect(replays()).toBe(1);
  });

  it('the ledger decides what is replayed: a shorter ledger is another key and another replay', async () => {
    const { scratch, replays } = await countingScratch();
    const conn = await liveWith(migrations[0]!.statements.map((s) => s.sql));
    const result = await checkSchema({ conn, scratch, ledgerTable: 'd1_migrations', migrations, retired: new Set(), state: ledger(['0001_users.sql']), ignore: [], root });
    expect({ check: result.check, replay: result.replay }).toEqual({ check: { status: 'matches' }, replay: 'replayed' });
    expect(replays()).toBe(1);
    expect(replayKey(migrations.slice(0, 1), ['d1_migrations'])).not.toBe(replayKey(migrations, ['d1_migrations']));
  });

  it('a corrupt cache file is a miss, never an error', async () => {
    const { scratch, replays } = await countingScratch();
    const conn = await liveWith(allSql);
    const key = replayKey(migrations, bookkeepingTables(['d1_migrations']));
    await writeFile(cacheFile(root, key), '{ torn');
    const input = { conn, scratch, ledgerTable: 'd1_migrations', migrations, retired: new Set<string>(), state: ledger(['0001_users.sql', '0002_notes.sql']), ignore: [], root };
    expect((await checkSchema(input)).replay).toBe('replayed');
    expect(replays()).toBe(1);
    expect((await readdir(join(root, '.promote', 'cache', 'expected-schema'))).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('a ledger row without a file makes the expected schema unknown, said and not a failure', async () => {
    expect(appliedFiles(migrations, ledger(['0001_users.sql', '0009_gone.sql']), new Set())).toEqual({ ok: false, reason: expect.stringContaining('0009_gone.sql, which no migration file matches') });
    expect(appliedFiles(migrations, ledger(['0001_old.sql']), new Set(['0001_old.sql']))).toEqual({ ok: false, reason: expect.stringContaining('0001_old.sql is retired') });
    const { scratch, replays } = await countingScratch();
    const result = await checkSchema({ conn: await liveWith(allSql), scratch, ledgerTable: 'd1_migrations', migrations, retired: new Set(), state: ledger(['0009_gone.sql']), ignore: [], root });
    expect(result.check.status).toBe('unknown');
    expect(replays()).toBe(0);
  });

  it('no ledger: an empty database matches, one with tables was built without promote', async () => {
    const { scratch } = await countingScratch();
    const base = { scratch, ledgerTable: 'd1_migrations', migrations, retired: new Set<string>(), state: ledger([]), ignore: [], root };
    expect((await checkSchema({ ...base, conn: await pool.next() })).check).toEqual({ status: 'matches' });
    const built = await checkSchema({ ...base, conn: await liveWith(allSql) });
    expect(built.check).toEqual({ status: 'unknown', reason: expect.stringContaining('promote baseline') });
  });
});
