import { describe, expect, it } from 'vitest';
import type { LedgerRow, MetaRow } from '../../../src/ledger/ledger.js';
import { chunkStatements, isConcurrentApply } from '../../../src/ledger/apply.js';
import { checksumOf, discoverMigrations } from '../../../src/migrations/index.js';
import { MAX_BATCH_BYTES, chunkMigrations, planDatabase } from '../../../src/migrations/plan.js';
import { nextMigrationNames } from '../../../src/cli/commands/new.js';

const enc = new TextEncoder();
function migrations(files: Record<string, string>) {
  const out = discoverMigrations(
    Object.entries(files).map(([name, text]) => ({ name, bytes: enc.encode(text) })),
    { dir: 'migrations' },
  );
  expect(out.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return out.migrations;
}
const row = (id: number, name: string): LedgerRow => ({ id, name, applied_at: '2026-11-21 00:00:00' });
const meta = (name: string, text: string): MetaRow => ({ name, checksum: checksumOf(text), run_id: 'r', applied_at: 'x', duration_ms: 1, adopted: 0 });

describe('planDatabase', () => {
  const files = { '0001_a.sql': 'CREATE TABLE a (x);', '0002_b.sql': 'CREATE TABLE b (x);', '0003_c.sql': 'CREATE TABLE c (x);' };

  it('splits applied and pending by ledger name', () => {
    const plan = planDatabase(migrations(files), { ledger: [row(1, '0001_a.sql')], meta: new Map([['0001_a.sql', meta('0001_a.sql', files['0001_a.sql'])]]) });
    expect(plan.applied.map((a) => a.name)).toEqual(['0001_a.sql']);
    expect(plan.pending.map((m) => m.name)).toEqual(['0002_b.sql', '0003_c.sql']);
    expect(plan.drift).toEqual([]);
    expect(plan.adoptable).toEqual([]);
  });

  it('reports a changed checksum and a vanished file as drift', () => {
    const plan = planDatabase(migrations(files), {
      ledger: [row(1, '0001_a.sql'), row(2, '0000_gone.sql')],
      meta: new Map([['0001_a.sql', meta('0001_a.sql', 'CREATE TABLE a (x, y);')]]),
    });
    expect(plan.drift).toEqual([
      { name: '0001_a.sql', reason: 'checksum changed' },
      { name: '0000_gone.sql', reason: 'file missing' },
    ]);
  });

  it('CRLF checkouts of the same file are not drift', () => {
    const crlf = migrations({ '0001_a.sql': 'CREATE TABLE a (x);\r\nCREATE INDEX i ON a(x);\r\n' });
    const plan = planDatabase(crlf, { ledger: [row(1, '0001_a.sql')], meta: new Map([['0001_a.sql', meta('0001_a.sql', 'CREATE TABLE a (x);\nCREATE INDEX i ON a(x);\n')]]) });
    expect(plan.drift).toEqual([]);
  });

  it('marks wrangler-applied files (no metadata) as adoptable, not drift', () => {
    const plan = planDatabase(migrations(files), { ledger: [row(1, '0001_a.sql')], meta: new Map() });
    expect(plan.adoptable.map((m) => m.name)).toEqual(['0001_a.sql']);
    expect(plan.drift).toEqual([]);
  });

  it('flags a pending file numbered below the newest applied one', () => {
    const plan = planDatabase(migrations(files), {
      ledger: [row(1, '0001_a.sql'), row(2, '0003_c.sql')],
      meta: new Map([['0001_a.sql', meta('0001_a.sql', files['0001_a.sql'])], ['0003_c.sql', meta('0003_c.sql', files['0003_c.sql'])]]),
    });
    expect(plan.outOfOrder).toEqual([{ name: '0002_b.sql', newestApplied: '0003_c.sql' }]);
  });
});

describe('chunkMigrations', () => {
  it('puts small migrations in one request, whatever their count', () => {
    const many: Record<string, string> = {};
    for (let i = 1; i <= 200; i++) many[`${String(i).padStart(4, '0')}_t${i}.sql`] = `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT);\nCREATE INDEX i${i} ON t${i}(name);\n`;
    expect(chunkMigrations(migrations(many))).toHaveLength(1);
  });

  it('never exceeds the byte budget except for a single oversized migration, and keeps order', () => {
    const big = `INSERT INTO a VALUES ('${'x'.repeat(60_000)}');`;
    const ms = migrations({ '0001_a.sql': big, '0002_b.sql': big, '0003_c.sql': 'SELECT 1;', '0004_d.sql': big });
    const chunks = chunkMigrations(ms);
    expect(chunks.map((c) => c.map((m) => m.name))).toEqual([['0001_a.sql'], ['0002_b.sql', '0003_c.sql'], ['0004_d.sql']]);
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil((3 * big.length + 20) / MAX_BATCH_BYTES) + 2);
  });
});

describe('apply batches', () => {
  const ms = migrations({ '0001_a.sql': 'CREATE TABLE a (x);\nCREATE TABLE b (y);' });
  const ctx = { ledgerTable: 'd1_migrations', runId: 'r-1', adopt: [] };

  it('first batch creates the ledger exactly as wrangler does, then ledger row before the SQL', () => {
    const stmts = chunkStatements(ms, 0, ctx);
    expect(stmts[0]!.sql).toContain('CREATE TABLE IF NOT EXISTS "d1_migrations"');
    expect(stmts[0]!.sql).toContain('name       TEXT UNIQUE');
    expect(stmts[2]).toEqual({ sql: 'INSERT INTO "d1_migrations" (name) VALUES (?)', params: ['0001_a.sql'] });
    expect(stmts.slice(4, 6).map((s) => s.sql)).toEqual(['CREATE TABLE a (x)', 'CREATE TABLE b (y)']);
    expect(stmts.at(-1)!.sql).toMatch(/^UPDATE promote_migrations SET\s+duration_ms/);
  });

  it('bookkeeping stays within the 100 bound parameters of D1 and costs one statement per migration', () => {
    const many: Record<string, string> = {};
    for (let i = 1; i <= 250; i++) many[`${String(i).padStart(4, '0')}_t${i}.sql`] = `CREATE TABLE t${i} (x);`;
    const all = migrations(many);
    const stmts = chunkStatements(all, 1, ctx);
    expect(stmts.every((s) => (s.params?.length ?? 0) <= 100)).toBe(true);
    const ledgerParams = stmts.filter((s) => s.sql.startsWith('INSERT INTO "d1_migrations"')).flatMap((s) => s.params);
    expect(ledgerParams).toEqual(all.map((m) => m.name));
    // 250 statements + 250 duration updates + 3 ledger inserts + 8 metadata inserts
    expect(stmts).toHaveLength(250 + 250 + 3 + 8);
  });

  it('later batches do not repeat the bootstrap', () => {
    expect(chunkStatements(ms, 1, ctx)[0]!.sql).toMatch(/^INSERT INTO "d1_migrations"/);
  });

  it('recognises a concurrent apply by the ledger UNIQUE failure', () => {
    expect(isConcurrentApply('UNIQUE constraint failed: d1_migrations.name: SQLITE_CONSTRAINT', 'd1_migrations')).toBe(true);
    expect(isConcurrentApply('UNIQUE constraint failed: users.email', 'd1_migrations')).toBe(false);
  });
});

describe('promote new: next file names', () => {
  it('continues the numbering and slugifies', () => {
    expect(nextMigrationNames(['0001_a.sql', '0002_b.sql', 'README.md', 'rollback'], 'Add Users table!')).toEqual({
      id: '0003',
      sql: '0003_add_users_table.sql',
      rollback: '0003_add_users_table.rollback.sql',
    });
    expect(nextMigrationNames([], 'init').sql).toBe('0001_init.sql');
    expect(nextMigrationNames(['00009_x.sql'], 'y').sql).toBe('00010_y.sql');
  });
});
