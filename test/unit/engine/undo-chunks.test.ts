/**
 * undoChunks against real D1 (Miniflare): a batch of undos commits whole with
 * its ledger rows or not at all; a failing rollback file stops there (exit 4)
 * with the earlier batches undone; after no answer the ledger decides, so a
 * batch that did commit is never sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutcomeUnknownError, RollbackFailedError } from '../../../src/errors.js';
import { applyChunks } from '../../../src/ledger/apply.js';
import { undoChunks } from '../../../src/ledger/down-migrations.js';
import { readDatabaseState } from '../../../src/ledger/ledger.js';
import { discoverMigrations, type Migration } from '../../../src/migrations/index.js';
import type { D1Connection } from '../../../src/d1/connection.js';
import { startD1Pool, type D1Pool } from '../../helpers/miniflare-d1.js';

let pool: D1Pool;
beforeAll(async () => {
  pool = await startD1Pool(6);
});
afterAll(() => pool?.dispose());

const enc = new TextEncoder();
function migrations(rollbackOf3 = 'DROP TABLE c;'): Migration[] {
  const files: Record<string, string> = {
    '0001_a.sql': 'CREATE TABLE a (x);',
    '0002_b.sql': 'CREATE TABLE b (x);',
    '0003_c.sql': 'CREATE TABLE c (x);',
  };
  const raw = [
    ...Object.entries(files).map(([name, text]) => ({ name, bytes: enc.encode(text) })),
    ...['0001_a', '0002_b'].map((n) => ({ name: `${n}.rollback.sql`, bytes: enc.encode(`DROP TABLE ${n.slice(-1)};`), subdir: 'rollback' })),
    { name: '0003_c.rollback.sql', bytes: enc.encode(rollbackOf3), subdir: 'rollback' },
  ];
  return discoverMigrations(raw, { dir: 'migrations' }).migrations;
}

async function migrated(ms: Migration[]): Promise<D1Connection> {
  const conn = await pool.next();
  await applyChunks(conn, [ms], { ledgerTable: 'd1_migrations', runId: 'r', adopt: [] });
  return conn;
}
const ledger = async (conn: D1Connection) => (await readDatabaseState(conn, 'd1_migrations')).ledger.map((r) => r.name);
const tables = async (conn: D1Connection) => (await readDatabaseState(conn, 'd1_migrations')).schema.filter((o) => o.type === 'table' && o.name.length === 1).map((o) => o.name).sort();
const CTX = { ledgerTable: 'd1_migrations', meta: true };

describe('undoChunks on real D1', () => {
  it('undoes chunk by chunk, each with its ledger and metadata rows', async () => {
    const ms = migrations();
    const conn = await migrated(ms);
    const seen: string[][] = [];
    const undone = await undoChunks(conn, [[ms[2]!, ms[1]!], [ms[0]!]], CTX, (c) => seen.push(c.map((m) => m.name)));
    expect(undone.map((m) => m.name)).toEqual(['0003_c.sql', '0002_b.sql', '0001_a.sql']);
    expect(seen).toEqual([['0003_c.sql', '0002_b.sql'], ['0001_a.sql']]);
    expect(await ledger(conn)).toEqual([]);
    expect(await tables(conn)).toEqual([]);
    expect((await readDatabaseState(conn, 'd1_migrations')).meta.size).toBe(0);
  });

  it('a failing rollback file changes nothing of its batch, keeps the earlier batches undone, and is exit 4 naming it', async () => {
    const ms = migrations('DROP TABLE c;\nDROP TABLE no_such_table;');
    const conn = await migrated(ms);
    // The failing file in the second batch, to see the first stay undone.
    const order = [[ms[1]!], [ms[2]!, ms[0]!]];
    const e = await undoChunks(conn, order, CTX).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RollbackFailedError);
    expect((e as RollbackFailedError).exitCode).toBe(4);
    expect((e as Error).message).toContain('no_such_table');
    expect((e as Error).message).toContain('none of 0003_c.sql, 0001_a.sql was undone');
    expect((e as Error).message).toContain('1 migration(s) undone before stay undone');
    expect(await ledger(conn)).toEqual(['0001_a.sql', '0003_c.sql']);
    expect(await tables(conn)).toEqual(['a', 'c']);
  });

  it('no answer after the batch committed: the ledger says so and nothing is sent again (it would fail: the table is gone)', async () => {
    const ms = migrations();
    const real = await migrated(ms);
    let sends = 0;
    const lossy: D1Connection = {
      label: 'lossy',
      async batch(statements, options) {
        const isUndo = statements.some((s) => s.sql.startsWith('DELETE FROM "d1_migrations"'));
        const result = await real.batch(statements, options);
        if (isUndo && sends++ === 0) throw new OutcomeUnknownError('connection reset after the request was sent');
        return result;
      },
    };
    const undone = await undoChunks(lossy, [[ms[2]!]], CTX);
    expect(undone.map((m) => m.name)).toEqual(['0003_c.sql']);
    expect(sends).toBe(1);
    expect(await ledger(real)).toEqual(['0001_a.sql', '0002_b.sql']);
  });

  it('no answer and the batch did not commit: sent again once, undone once', async () => {
    const ms = migrations();
    const real = await migrated(ms);
    let sends = 0;
    const refused: D1Connection = {
      label: 'refused',
      async batch(statements, options) {
        const isUndo = statements.some((s) => s.sql.startsWith('DELETE FROM "d1_migrations"'));
        if (isUndo && sends++ === 0) throw new OutcomeUnknownError('timed out before the request reached D1');
        return real.batch(statements, options);
      },
    };
    await undoChunks(refused, [[ms[2]!, ms[1]!]], CTX);
    expect(sends).toBe(2);
    expect(await ledger(real)).toEqual(['0001_a.sql']);
    expect(await tables(real)).toEqual(['a']);
  });
});
