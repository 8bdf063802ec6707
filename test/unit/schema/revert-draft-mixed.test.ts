/**
 * Revert drafts for forward migrations generated in the test: each kind of
 * change works on objects of its own (named with a suffix), so any number of
 * kinds can share one migration. The kinds are shuffled with a seeded random
 * and grouped three to a migration, every kind in some migration; forward then
 * the draft must leave the schema's fingerprint as it was before, and the rows
 * of every column the draft does not name as lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { D1Connection } from '../../../src/d1/connection.js';
import { readSchemaRows } from '../../../src/ledger/schema-read.js';
import { splitStatements } from '../../../src/migrations/split-statements.js';
import { fingerprintDigest, fingerprintSchema } from '../../../src/schema/fingerprint.js';
import { diffSchemas, renderDifference } from '../../../src/schema/schema-diff.js';
import { revertDraft } from '../../../src/schema/revert-draft.js';
import { startD1Pool, type D1Pool } from '../../helpers/miniflare-d1.js';
import { randomForTest } from '../../helpers/seeded-random.js';

let pool: D1Pool;
beforeAll(async () => {
  pool = await startD1Pool(16);
}, 60_000);
afterAll(() => pool?.dispose());

const EXCLUDE = ['d1_migrations'];

interface Kind {
  name: string;
  /** Objects this kind needs before its migration, with rows. */
  setup: (s: string) => string;
  forward: (s: string) => string;
  /** Rows that must survive forward + draft. */
  keeps: (s: string) => string[];
  /** Whether the draft must list lost data for it. */
  loses?: boolean;
}

const table = (s: string) => `CREATE TABLE t${s} (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT); INSERT INTO t${s} VALUES (1, 'x', 10, 'p'), (2, 'y', 20, NULL);`;
const all = (s: string) => [`SELECT id, a, b, c FROM t${s} ORDER BY id`];

const KINDS: Kind[] = [
  { name: 'create table', setup: () => '', forward: (s) => `CREATE TABLE made${s} (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO made${s} VALUES (1, 'v');`, keeps: () => [] },
  { name: 'create index', setup: table, forward: (s) => `CREATE INDEX t${s}_a ON t${s}(a);`, keeps: all },
  { name: 'create partial unique index', setup: table, forward: (s) => `CREATE UNIQUE INDEX t${s}_b ON t${s}(b) WHERE b > 0;`, keeps: all },
  { name: 'create expression index', setup: table, forward: (s) => `CREATE INDEX t${s}_lower ON t${s}(lower(a));`, keeps: all },
  { name: 'create view', setup: table, forward: (s) => `CREATE VIEW v${s} AS SELECT a FROM t${s} WHERE b > 5;`, keeps: all },
  { name: 'create trigger', setup: table, forward: (s) => `CREATE TRIGGER tr${s} AFTER UPDATE ON t${s} BEGIN UPDATE t${s} SET c = 'u' WHERE id = NEW.id; END;`, keeps: all },
  { name: 'create fts5 table', setup: () => '', forward: (s) => `CREATE VIRTUAL TABLE f${s} USING fts5(body); INSERT INTO f${s} VALUES ('hello');`, keeps: () => [] },
  { name: 'add column', setup: table, forward: (s) => `ALTER TABLE t${s} ADD COLUMN d TEXT DEFAULT 'd';`, keeps: all },
  { name: 'drop last column', setup: table, forward: (s) => `ALTER TABLE t${s} DROP COLUMN c;`, keeps: (s) => [`SELECT id, a, b FROM t${s} ORDER BY id`], loses: true },
  { name: 'drop middle column', setup: table, forward: (s) => `ALTER TABLE t${s} DROP COLUMN a;`, keeps: (s) => [`SELECT id, b, c FROM t${s} ORDER BY id`], loses: true },
  { name: 'rename column', setup: table, forward: (s) => `ALTER TABLE t${s} RENAME COLUMN b TO bb;`, keeps: all },
  { name: 'rename table', setup: table, forward: (s) => `ALTER TABLE t${s} RENAME TO renamed${s};`, keeps: all },
  { name: 'drop table', setup: table, forward: (s) => `DROP TABLE t${s};`, keeps: () => [], loses: true },
  { name: 'drop index', setup: (s) => `${table(s)} CREATE INDEX t${s}_ab ON t${s}(a, b);`, forward: (s) => `DROP INDEX t${s}_ab;`, keeps: all },
  { name: 'drop view', setup: (s) => `${table(s)} CREATE VIEW v${s} AS SELECT id FROM t${s};`, forward: (s) => `DROP VIEW v${s};`, keeps: all },
  {
    name: 'change a column type (rebuilt)',
    setup: table,
    forward: (s) => `CREATE TABLE new_t${s} (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT); INSERT INTO new_t${s} SELECT * FROM t${s}; DROP TABLE t${s}; ALTER TABLE new_t${s} RENAME TO t${s};`,
    keeps: all,
  },
  {
    name: 'add a foreign key (rebuilt)',
    setup: (s) => `CREATE TABLE p${s} (id INTEGER PRIMARY KEY); INSERT INTO p${s} VALUES (10), (20); ${table(s)}`,
    forward: (s) => `CREATE TABLE new_t${s} (id INTEGER PRIMARY KEY, a TEXT, b INTEGER REFERENCES p${s}(id), c TEXT); INSERT INTO new_t${s} SELECT * FROM t${s}; DROP TABLE t${s}; ALTER TABLE new_t${s} RENAME TO t${s};`,
    keeps: (s) => [...all(s), `SELECT id FROM p${s} ORDER BY id`],
  },
  {
    name: 'add a CHECK (rebuilt)',
    setup: table,
    forward: (s) => `CREATE TABLE new_t${s} (id INTEGER PRIMARY KEY, a TEXT, b INTEGER CHECK (b >= 0), c TEXT); INSERT INTO new_t${s} SELECT * FROM t${s}; DROP TABLE t${s}; ALTER TABLE new_t${s} RENAME TO t${s};`,
    keeps: all,
  },
  {
    name: 'drop a column of a parent with CASCADE children (rebuilt)',
    setup: (s) => `${table(s)} CREATE TABLE k${s} (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t${s}(id) ON DELETE CASCADE); INSERT INTO k${s} VALUES (1, 1), (2, 2);`,
    forward: (s) => `ALTER TABLE t${s} DROP COLUMN a;`,
    keeps: (s) => [`SELECT id, b, c FROM t${s} ORDER BY id`, `SELECT id, t_id FROM k${s} ORDER BY id`],
    loses: true,
  },
];

async function run(conn: D1Connection, sql: string): Promise<void> {
  if (sql.trim()) await conn.batch(splitStatements(sql).map((s) => ({ sql: s.sql })));
}

async function rows(conn: D1Connection, queries: readonly string[]): Promise<unknown[]> {
  return queries.length === 0 ? [] : (await conn.batch(queries.map((sql) => ({ sql })))).map((r) => r.results);
}

describe('revert drafts of generated migrations (several kinds of change in one)', () => {
  it(`every one of ${KINDS.length} kinds, three to a migration, in a seeded order`, async () => {
    const random = randomForTest('revert-draft-mixed');
    const order = KINDS.map((k, i) => ({ k, i, r: random.next() })).sort((x, y) => x.r - y.r);
    const groups: (typeof order)[] = [];
    for (let at = 0; at < order.length; at += 3) groups.push(order.slice(at, at + 3));
    expect(groups.flat()).toHaveLength(KINDS.length);

    for (const group of groups) {
      const label = group.map((g) => g.k.name).join(' + ');
      const conn = await pool.next();
      for (const g of group) await run(conn, g.k.setup(`_${g.i}`));
      const before = await readSchemaRows(conn);
      const beforePrint = fingerprintSchema(before, { exclude: EXCLUDE });
      const keeps = group.flatMap((g) => g.k.keeps(`_${g.i}`));
      const kept = await rows(conn, keeps);

      await run(conn, `PRAGMA defer_foreign_keys = on;\n${group.map((g) => g.k.forward(`_${g.i}`)).join('\n')}`);
      const draft = revertDraft({ migration: '0007_mixed.sql', before, after: await readSchemaRows(conn), exclude: EXCLUDE });
      try {
        await run(conn, draft.sql);
      } catch (e) {
        throw new Error(`${label}: ${(e as Error).message}\n${draft.sql}`);
      }
      const reverted = fingerprintSchema(await readSchemaRows(conn), { exclude: EXCLUDE });
      expect(diffSchemas(beforePrint, reverted).map(renderDifference), `${label}\n${draft.sql}`).toEqual([]);
      expect(fingerprintDigest(reverted), label).toBe(fingerprintDigest(beforePrint));
      expect(await rows(conn, keeps), `${label}\n${draft.sql}`).toEqual(kept);
      expect(draft.lost.length > 0, `${label}: lost ${JSON.stringify(draft.lost)}`).toBe(group.some((g) => g.k.loses));
    }
  }, 180_000);
});
