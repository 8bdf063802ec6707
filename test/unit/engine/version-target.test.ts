/** The pure half of version targets: which NNNN is accepted, what migrate --to applies, what rollback --to undoes. */
import { describe, expect, it } from 'vitest';
import type { ObservedDatabase } from '../../../src/engine/observe.js';
import { pendingUpTo, planRollbackTo, resolveVersionTarget, type VersionTarget } from '../../../src/engine/version-target.js';
import { chunkUndos, undoBatch } from '../../../src/ledger/down-migrations.js';
import type { LedgerRow, MetaRow } from '../../../src/ledger/ledger.js';
import { checksumOf, discoverMigrations, type Migration } from '../../../src/migrations/index.js';
import { planDatabase } from '../../../src/migrations/plan.js';

const enc = new TextEncoder();
function migrations(files: Record<string, string>): Migration[] {
  const out = discoverMigrations(
    Object.entries(files).map(([path, text]) => {
      const [subdir, name] = path.includes('/') ? path.split('/') : [undefined, path];
      return { name: name!, bytes: enc.encode(text), ...(subdir ? { subdir } : {}) };
    }),
    { dir: 'migrations', allowGaps: true },
  );
  expect(out.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return out.migrations;
}

const FILES: Record<string, string> = {
  '0001_a.sql': 'CREATE TABLE a (x);',
  'rollback/0001_a.rollback.sql': 'DROP TABLE a;',
  '0002_b.sql': 'CREATE TABLE b (x);',
  'rollback/0002_b.rollback.sql': 'DROP TABLE b;',
  '0003_c.sql': 'CREATE TABLE c (x);',
  'rollback/0003_c.rollback.sql': 'DROP TABLE c;',
  '0005_e.sql': 'CREATE TABLE e (x);',
  'rollback/0005_e.rollback.sql': 'DROP TABLE e;',
};

/** A database that applied `applied` (in that order) from `files`. */
function observed(files: Record<string, string>, applied: string[], over: Partial<Record<string, string>> = {}): ObservedDatabase {
  const ms = migrations(files);
  const ledger: LedgerRow[] = applied.map((name, i) => ({ id: i + 1, name, applied_at: 'x' }));
  const meta = new Map<string, MetaRow>(applied.map((name) => [name, { name, checksum: checksumOf(over[name] ?? files[name] ?? ''), run_id: 'r', applied_at: 'x', duration_ms: 1, adopted: 0 }]));
  const state = { ledger, meta, schema: [], seeds: [], foreign: [] };
  return { binding: 'DB', ledgerTable: 'd1_migrations', migrationsDir: 'migrations', migrations: ms, state, plan: planDatabase(ms, state), seeds: [], seedPlan: { applied: [], pending: [] } };
}

const resolve = (raw: string, command: 'migrate' | 'rollback' = 'rollback') => resolveVersionTarget(raw, migrations(FILES), { command, environment: 'staging' });
const target = (raw: string): VersionTarget => {
  const r = resolve(raw);
  if (!r.ok) throw new Error(r.problem.message);
  return r.target;
};

describe('resolveVersionTarget', () => {
  it("accepts a file's number in any width, and 0000 for a rollback only", () => {
    expect(resolve('0003')).toEqual({ ok: true, target: { text: '0003', number: 3 } });
    expect(resolve('3')).toMatchObject({ ok: true, target: { number: 3 } });
    expect(resolve('0000')).toMatchObject({ ok: true, target: { number: 0 } });
    expect(resolve('0000', 'migrate')).toMatchObject({ ok: false });
  });

  it('refuses an unknown number with the nearest versions, a future one with the newest, and non-numbers', () => {
    const unknown = resolve('0004');
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) {
      expect(unknown.problem).toMatchObject({ code: 'E_VERSION_TARGET', message: '--to 0004 names no migration file' });
      expect(unknown.problem.hint).toContain('0003 (0003_c.sql) and 0005 (0005_e.sql)');
    }
    const future = resolve('0009', 'migrate');
    expect(!future.ok && future.problem.message).toBe('--to 0009 is beyond the newest migration, 0005_e.sql');
    expect(!future.ok && future.problem.hint).toContain('--to 0005');
    expect(resolve('latest').ok).toBe(false);
    expect(resolve('-1').ok).toBe(false);
  });
});

describe('pendingUpTo', () => {
  it('keeps the pending files numbered up to and including the target', () => {
    const d = observed(FILES, ['0001_a.sql']);
    expect(pendingUpTo(d.plan.pending, target('0003')).map((m) => m.name)).toEqual(['0002_b.sql', '0003_c.sql']);
    expect(pendingUpTo(d.plan.pending, undefined).map((m) => m.name)).toEqual(['0002_b.sql', '0003_c.sql', '0005_e.sql']);
  });
});

describe('planRollbackTo', () => {
  it('undoes what is applied above the target, newest (last applied) first, and keeps the rest', () => {
    const p = planRollbackTo(observed(FILES, ['0001_a.sql', '0002_b.sql', '0003_c.sql', '0005_e.sql']), target('0001'), 'staging');
    expect(p.problems).toEqual([]);
    expect(p.undo.map((m) => m.name)).toEqual(['0005_e.sql', '0003_c.sql', '0002_b.sql']);
    expect(p.kept).toEqual(['0001_a.sql']);
    expect(planRollbackTo(observed(FILES, ['0001_a.sql', '0002_b.sql']), target('0000'), 'staging').undo.map((m) => m.name)).toEqual(['0002_b.sql', '0001_a.sql']);
    // Pending files above the target are not undone: they were never applied.
    expect(planRollbackTo(observed(FILES, ['0001_a.sql']), target('0003'), 'staging')).toMatchObject({ undo: [], kept: ['0001_a.sql'], problems: [] });
  });

  it('names every migration above the target that cannot be undone: no rollback file, file gone, file changed', () => {
    const files = { ...FILES };
    delete files['rollback/0003_c.rollback.sql'];
    delete files['0005_e.sql'];
    delete files['rollback/0005_e.rollback.sql'];
    const p = planRollbackTo(observed(files, ['0001_a.sql', '0002_b.sql', '0003_c.sql', '0005_e.sql'], { '0002_b.sql': 'CREATE TABLE b (x, y);' }), target('0001'), 'staging');
    expect(p.problems.map((x) => [x.code, x.file])).toEqual([
      ['E_ROLLBACK_NO_FILE', 'migrations/0005_e.sql'],
      ['E_ROLLBACK_FILE_MISSING', 'migrations/0003_c.sql'],
      ['E_ROLLBACK_DRIFT', 'migrations/0002_b.sql'],
    ]);
    expect(p.problems[1]!.hint).toContain('migrations/rollback/0003_c.rollback.sql');
    // Below the target nothing needs a rollback file.
    expect(planRollbackTo(observed(files, ['0001_a.sql', '0002_b.sql']), target('0002'), 'staging').problems).toEqual([]);
  });
});

describe('undo batches', () => {
  it('each undo carries its ledger and metadata rows; undos share batches within the migrate budget', () => {
    const ms = migrations(FILES).reverse();
    const { statements, origins } = undoBatch(ms.slice(0, 2), 'd1_migrations');
    expect(statements.map((s) => s.sql)).toEqual([
      'PRAGMA defer_foreign_keys = on',
      'DROP TABLE e',
      'DELETE FROM "d1_migrations" WHERE name = ?',
      'DELETE FROM promote_migrations WHERE name = ?',
      'PRAGMA defer_foreign_keys = on',
      'DROP TABLE c',
      'DELETE FROM "d1_migrations" WHERE name = ?',
      'DELETE FROM promote_migrations WHERE name = ?',
    ]);
    expect(origins[1]).toEqual({ file: 'migrations/rollback/0005_e.rollback.sql', line: 1 });
    expect(undoBatch(ms.slice(0, 1), 'd1_migrations', false).statements).toHaveLength(3);
    expect(chunkUndos(ms).map((c) => c.length)).toEqual([4]);
    expect(chunkUndos(ms, 900).map((c) => c.map((m) => m.id))).toEqual([['0005', '0003'], ['0002', '0001']]);
  });
});
