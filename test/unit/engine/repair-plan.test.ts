/** planRepair: what repair records, and every refusal, without a database. */
import { describe, expect, it } from 'vitest';
import type { LoadedEnvironment } from '../../../src/config/schema.js';
import { repairStatements } from '../../../src/ledger/repair.js';
import { planDatabase } from '../../../src/migrations/plan.js';
import type { ObservedEnvironment } from '../../../src/engine/observe.js';
import { planRepair } from '../../../src/engine/repair-plan.js';
import { discover } from '../migrations/helpers.js';

const ENV = { name: 'production', file: 'environments/production.yaml', config: { target: 'local', databases: [], health: [] } } as unknown as LoadedEnvironment;

function observed(files: Record<string, string>, ledger: string[], checksums: Record<string, string> = {}): ObservedEnvironment {
  const { migrations } = discover(files, true);
  const state = {
    ledger: ledger.map((name, i) => ({ id: i + 1, name, applied_at: '2026-01-01 00:00:00' })),
    meta: new Map(Object.entries(checksums).map(([name, checksum]) => [name, { name, checksum, run_id: 'r', applied_at: 'x', duration_ms: null, adopted: 0 }])),
    schema: [],
    seeds: [],
    foreign: [],
  };
  return { env: ENV, databases: [{ binding: 'DB', migrationsDir: 'migrations', ledgerTable: 'd1_migrations', migrations, state, plan: planDatabase(migrations, state), seeds: [], seedPlan: { applied: [], pending: [] } }] };
}

describe('planRepair', () => {
  const A = 'CREATE TABLE a (id INTEGER);';
  const B = 'CREATE TABLE b (id INTEGER);';
  const sum = (sql: string) => discover({ '0001_x.sql': sql }).migrations[0]!.checksum;

  it('records a checksum-matched rename, and its statements update both tables in one batch', () => {
    const plan = planRepair(observed({ '0001_a.sql': A, '0002_b.sql': B }, ['0001_a.sql', '0001_b.sql'], { '0001_a.sql': sum(A), '0001_b.sql': sum(B) }), { acceptChecksum: [] });
    expect(plan.problems).toEqual([]);
    expect(plan.databases[0]!.lines).toEqual(['production/DB: renamed 0001_b.sql -> 0002_b.sql (same checksum as applied)']);
    const sql = repairStatements('d1_migrations', plan.databases[0]!.repairs, 'run-1').map((s) => s.sql.replace(/\s+/g, ' '));
    expect(sql.at(-1)).toBe('UPDATE "d1_migrations" SET name = ? WHERE name = ?');
    expect(sql.some((s) => s.startsWith('UPDATE promote_migrations SET name = ?'))).toBe(true);
  });

  it('refuses a rename whose contents differ, and other drift, with their fixes', () => {
    const plan = planRepair(observed({ '0001_a.sql': A, '0002_b.sql': `${B}\nCREATE TABLE c (id INTEGER);` }, ['0001_a.sql', '0001_b.sql'], { '0001_a.sql': sum(A), '0001_b.sql': sum(B) }), { acceptChecksum: [] });
    expect(plan.databases).toEqual([]);
    expect(plan.problems.map((p) => p.code)).toEqual(['E_RENAME_CONTENTS_DIFFER']);
    const edited = planRepair(observed({ '0001_a.sql': `-- note\n${A}` }, ['0001_a.sql'], { '0001_a.sql': sum(A) }), { acceptChecksum: [] });
    expect(edited.problems[0]).toMatchObject({ code: 'E_DRIFT_CHECKSUM' });
    expect(edited.problems[0]!.hint).toContain('promote repair --env production --accept-checksum 0001_a.sql');
    const gone = planRepair(observed({ '0001_a.sql': A }, ['0001_a.sql', '0002_gone.sql'], { '0001_a.sql': sum(A) }), { acceptChecksum: [] });
    expect(gone.problems[0]!.hint).toContain('promote repair --retire 0002_gone.sql');
  });

  it('accepts the checksum of a file named by path, printing old and new', () => {
    const plan = planRepair(observed({ '0001_a.sql': `-- note\n${A}` }, ['0001_a.sql'], { '0001_a.sql': sum(A) }), { acceptChecksum: ['migrations/0001_a.sql'] });
    expect(plan.problems).toEqual([]);
    expect(plan.databases[0]!.lines[0]).toBe(`production/DB: 0001_a.sql checksum ${sum(A)} -> ${sum(`-- note\n${A}`)} (edited on purpose; nothing is run again)`);
  });
});
