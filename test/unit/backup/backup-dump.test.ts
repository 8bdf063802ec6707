/**
 * The dump and its proof on real D1 (Miniflare): every kind of value survives a
 * restore, the header's counts come from the same read as the rows, and a dump
 * with a row or a whole table taken out fails verification naming that table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_FORMAT, parseBackup, renderBackupHeader, type BackupHeader } from '../../../src/backup/backup-file.js';
import { dumpDatabase, readCensus } from '../../../src/backup/dump.js';
import { verifyBackup } from '../../../src/backup/verify-backup.js';
import type { D1Connection, ScratchDatabase } from '../../../src/d1/connection.js';
import { fingerprintDigest } from '../../../src/schema/fingerprint.js';
import { openScratchDatabase } from '../../../src/targets/local/scratch-engine.js';
import { startD1Pool, type D1Pool } from '../../helpers/miniflare-d1.js';

const SCHEMA = [
  // the child first: its rows go in before its parent's, which deferred foreign keys allow
  'CREATE TABLE comments (id INTEGER PRIMARY KEY AUTOINCREMENT, note_id INTEGER NOT NULL REFERENCES notes(id), body TEXT)',
  'CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, score REAL, big INTEGER, data BLOB, extra TEXT, words INTEGER GENERATED ALWAYS AS (length(title)) VIRTUAL)',
  'CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID',
  'CREATE INDEX notes_by_title ON notes (title)',
  'CREATE VIEW titled AS SELECT id, title FROM notes',
  "CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN UPDATE notes SET extra = 'a;b' WHERE id = NEW.id; END",
  'CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TEXT NOT NULL)',
  'CREATE TABLE promote_lock (id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, owner TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_at INTEGER NOT NULL)',
];
const ROWS = [
  "INSERT INTO notes (id, title, score, big, data, extra) VALUES (1, 'it''s; -- not a comment', 0.1, 9007199254740993, X'00ff10', NULL)",
  "INSERT INTO notes (id, title, score, big, data, extra) VALUES (2, 'two\nlines', -1e300, -9223372036854775808, X'', 'x')",
  "INSERT INTO notes (id, title, score, big, data, extra) VALUES (3, '', 3.0, 0, NULL, '日本語')",
  "INSERT INTO comments (note_id, body) VALUES (1, 'first'), (1, 'second'), (3, NULL)",
  "INSERT INTO tags VALUES ('a', 1), ('b', 2)",
  "INSERT INTO d1_migrations (name, applied_at) VALUES ('0001_init.sql', '2026-01-01 00:00:00')",
  "INSERT INTO promote_lock VALUES (1, 'r-1', 'ci', '2026-01-01', 0)",
];

function headerOf(census: Awaited<ReturnType<typeof readCensus>>): BackupHeader {
  return {
    format: BACKUP_FORMAT,
    environment: 'dev',
    binding: 'DB',
    database: 'db-test',
    runId: 'r-test',
    takenAt: new Date(0).toISOString(),
    source: 'local-dump',
    fingerprint: fingerprintDigest(census.fingerprint),
    schema: census.fingerprint.objects,
    rows: census.rows,
  };
}

const VALUES = 'SELECT quote(id), quote(title), quote(score), quote(big), quote(data), quote(extra), words FROM notes ORDER BY id';

describe('a dump through D1, restored on scratch', () => {
  let pool: D1Pool;
  let root: string;
  let scratch: { db: ScratchDatabase; dispose(): Promise<void> };
  let source: D1Connection;
  let file: string;

  beforeAll(async () => {
    pool = await startD1Pool(2);
    root = await mkdtemp(join(tmpdir(), 'promote-backup-'));
    scratch = await openScratchDatabase(root);
    source = await pool.next();
    await source.batch(['PRAGMA defer_foreign_keys = on', ...SCHEMA, ...ROWS].map((sql) => ({ sql })));
    const dump = await dumpDatabase(source);
    file = renderBackupHeader(headerOf(dump.census)) + dump.sql;
  }, 60_000);
  afterAll(async () => {
    await scratch?.dispose();
    await pool?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('counts the rows it dumped, and leaves the lease row out', async () => {
    const parsed = parseBackup(file);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.header.rows).toEqual({ comments: 3, notes: 3, tags: 2, d1_migrations: 1 });
    expect(parsed.sql).not.toContain('promote_lock');
    expect(parsed.sql).toMatch(/X'00ff10'/i);
    expect(parsed.sql).toContain('9007199254740993');
  });

  it('restores every value as it was: NULL, 64-bit integers, reals, quotes, newlines, BLOBs', async () => {
    const parsed = parseBackup(file);
    if (!parsed.ok) throw new Error(parsed.what);
    const { splitStatements } = await import('../../../src/migrations/split-statements.js');
    await scratch.db.reset([]);
    await scratch.db.batch(splitStatements(parsed.sql).map((s) => ({ sql: s.sql })));
    const [restored] = await scratch.db.batch([{ sql: VALUES }]);
    const [original] = await source.batch([{ sql: VALUES }]);
    expect(restored!.results).toEqual(original!.results);
    expect(restored!.results).toHaveLength(3);
    // the AUTOINCREMENT counter came along: the next comment gets id 4, not 1 again
    const [next] = await scratch.db.batch([{ sql: "INSERT INTO comments (note_id, body) VALUES (2, 'new')" }, { sql: 'SELECT max(id) AS id FROM comments' }]).then((r) => r.slice(1));
    expect(next!.results[0]!.id).toBe(4);
    expect(fingerprintDigest((await readCensus(scratch.db)).fingerprint)).toBe(parsed.header.fingerprint);
  });

  it('verifies against the source while it has the same schema', async () => {
    const parsed = parseBackup(file);
    if (!parsed.ok) throw new Error(parsed.what);
    const verdict = await verifyBackup(parsed, scratch.db, source);
    expect(verdict).toMatchObject({ comparedWith: 'source', problems: [] });
    expect(verdict.restored?.rows).toEqual(parsed.header.rows);
  });

  it('a row taken out of the dump fails, naming the table and both counts', async () => {
    // note 2's title has a newline: its INSERT spans two lines, taken out whole
    const cut = file.replace(/^INSERT INTO "notes" [^\n]*VALUES \(2,[\s\S]*?\);\n/m, '');
    expect(cut.length).toBeLessThan(file.length);
    const parsed = parseBackup(cut);
    if (!parsed.ok) throw new Error(parsed.what);
    const verdict = await verifyBackup(parsed, scratch.db);
    expect(verdict.comparedWith).toBe('header');
    expect(verdict.problems).toEqual(['table notes: 2 row(s) in the dump, 3 in the header']);
    // against the source, the same difference
    expect((await verifyBackup(parsed, scratch.db, source)).problems).toEqual(['table notes: 2 row(s) in the dump, 3 in the source']);
  });

  it('a parent row taken out: the rows that pointed at it are named too', async () => {
    const lines = file.split('\n');
    const at = lines.findIndex((l) => l.startsWith('INSERT INTO "notes"') && l.includes('VALUES (1,'));
    const parsed = parseBackup([...lines.slice(0, at), ...lines.slice(at + 1)].join('\n'));
    if (!parsed.ok) throw new Error(parsed.what);
    const verdict = await verifyBackup(parsed, scratch.db);
    expect(verdict.problems).toEqual([
      'table comments: 2 row(s) in the dump refer to rows of notes that are not in it',
      'table comments: 1 row(s) in the dump, 3 in the header',
      'table notes: 2 row(s) in the dump, 3 in the header',
    ]);
  });

  it('a table dropped from the dump (its CREATE and its INSERTs) fails, naming the table', async () => {
    const kept = file.split('\n').filter((l) => !l.startsWith('CREATE TABLE tags') && !l.startsWith('INSERT INTO "tags"'));
    const parsed = parseBackup(kept.join('\n'));
    if (!parsed.ok) throw new Error(parsed.what);
    const verdict = await verifyBackup(parsed, scratch.db);
    expect(verdict.problems).toEqual(['table tags: in the header (2 row(s) there), not in the dump']);
  });

  it('a dump that no longer runs says where it broke', async () => {
    const kept = file.split('\n').filter((l) => !l.startsWith('CREATE TABLE notes'));
    const parsed = parseBackup(kept.join('\n'));
    if (!parsed.ok) throw new Error(parsed.what);
    const verdict = await verifyBackup(parsed, scratch.db);
    expect(verdict.problems).toHaveLength(1);
    expect(verdict.problems[0]).toMatch(/^the dump does not restore: a statement (at line \d+ )?failed: .*notes/);
  });

  it('says what a file is when it is not a promote backup', () => {
    expect(parseBackup('')).toEqual({ ok: false, what: 'the file is empty' });
    expect(parseBackup('PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE t (a);\n')).toMatchObject({ ok: false, what: expect.stringContaining('SQL without a promote-backup header') });
    expect(parseBackup('hello\n')).toMatchObject({ ok: false, what: expect.stringContaining('neither SQL nor') });
    // an edited header no longer matches its own fingerprint
    const edited = file.replace(/"rows":\{/, '"rows":{"extra":1,').replace(/"schema":\[/, '"schema":[{"type":"view","name":"x","table":"x","sql":"x"},');
    expect(parseBackup(edited)).toMatchObject({ ok: false, what: expect.stringContaining('does not match its own fingerprint') });
  });
});
