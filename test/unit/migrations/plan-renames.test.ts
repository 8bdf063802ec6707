/** planDatabase on renamed, renumbered, edited and retired files: pure, no database. */
import { describe, expect, it } from 'vitest';
import type { LedgerRow, MetaRow, SchemaObject } from '../../../src/ledger/ledger.js';
import { planDatabase } from '../../../src/migrations/plan.js';
import { discover } from './helpers.js';

const INIT = 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n';
const TRACKED = 'CREATE TABLE tracked (id INTEGER PRIMARY KEY);\nCREATE INDEX tracked_id ON tracked (id);\n';

function ledger(...names: string[]): LedgerRow[] {
  return names.map((name, i) => ({ id: i + 1, name, applied_at: '2026-01-01 00:00:00' }));
}
function meta(entries: Record<string, string>): Map<string, MetaRow> {
  return new Map(Object.entries(entries).map(([name, checksum]) => [name, { name, checksum, run_id: 'r', applied_at: 'x', duration_ms: null, adopted: 0 }]));
}
const schema = (...objects: [SchemaObject['type'], string][]): SchemaObject[] => objects.map(([type, name]) => ({ type, name, tbl_name: name, sql: '' }));

describe('planDatabase: renames', () => {
  it('001: two 0001_ files applied by wrangler, the second renumbered: a rename matched by name and live objects', () => {
    const { migrations } = discover({ '0001_initial_schema.sql': INIT, '0002_create_tracked.sql': TRACKED });
    const plan = planDatabase(migrations, {
      ledger: ledger('0001_create_tracked.sql', '0001_initial_schema.sql'),
      meta: new Map(),
      schema: schema(['table', 'users'], ['table', 'tracked'], ['index', 'tracked_id']),
    });
    expect(plan.renamed.map((r) => [r.from, r.to.name, r.match])).toEqual([['0001_create_tracked.sql', '0002_create_tracked.sql', 'name']]);
    expect(plan.pending).toEqual([]);
    expect(plan.drift).toEqual([]);
    expect(plan.outOfOrder).toEqual([]);
  });

  it('without a checksum, a file whose objects are not all in the database is not a rename', () => {
    const { migrations } = discover({ '0001_initial_schema.sql': INIT, '0002_create_tracked.sql': TRACKED });
    const plan = planDatabase(migrations, { ledger: ledger('0001_create_tracked.sql', '0001_initial_schema.sql'), meta: new Map(), schema: schema(['table', 'users'], ['table', 'tracked']) });
    expect(plan.renamed).toEqual([]);
    expect(plan.drift).toEqual([{ name: '0001_create_tracked.sql', reason: 'file missing', lookalike: '0002_create_tracked.sql' }]);
    expect(plan.pending.map((m) => m.name)).toEqual(['0002_create_tracked.sql']);
  });

  it('with a recorded checksum: equal contents are a rename (even under another slug); changed contents are drift with a lookalike', () => {
    const { migrations } = discover({ '0001_init.sql': INIT, '0002_tracked_apps.sql': TRACKED });
    const same = planDatabase(migrations, { ledger: ledger('0001_init.sql', '0007_tracked.sql'), meta: meta({ '0001_init.sql': migrations[0]!.checksum, '0007_tracked.sql': migrations[1]!.checksum }) });
    expect(same.renamed.map((r) => [r.from, r.to.name, r.match])).toEqual([['0007_tracked.sql', '0002_tracked_apps.sql', 'checksum']]);
    expect(same.pending).toEqual([]);

    const edited = discover({ '0001_init.sql': INIT, '0002_tracked.sql': TRACKED + 'CREATE TABLE extra (id INTEGER);\n' }).migrations;
    const differ = planDatabase(edited, { ledger: ledger('0001_init.sql', '0001_tracked.sql'), meta: meta({ '0001_init.sql': edited[0]!.checksum, '0001_tracked.sql': migrations[1]!.checksum }) });
    expect(differ.renamed).toEqual([]);
    expect(differ.drift).toEqual([{ name: '0001_tracked.sql', reason: 'file missing', lookalike: '0002_tracked.sql' }]);
  });

  it('one file is never claimed by two applied rows', () => {
    const { migrations } = discover({ '0001_a.sql': INIT });
    const plan = planDatabase(migrations, { ledger: ledger('0005_x.sql', '0006_y.sql'), meta: meta({ '0005_x.sql': migrations[0]!.checksum, '0006_y.sql': migrations[0]!.checksum }) });
    expect(plan.renamed).toHaveLength(1);
    expect(plan.drift.map((d) => d.name)).toEqual(['0006_y.sql']);
  });
});

describe('planDatabase: retired', () => {
  it('an applied migration listed as retired is neither drift nor pending', () => {
    const { migrations } = discover({ '0001_a.sql': INIT, '0003_c.sql': TRACKED }, true);
    const plan = planDatabase(migrations, { ledger: ledger('0001_a.sql', '0002_b.sql', '0003_c.sql'), meta: new Map(), retired: new Set(['0002_b.sql']) });
    expect(plan.retired).toEqual(['0002_b.sql']);
    expect(plan.drift).toEqual([]);
    expect(plan.pending).toEqual([]);
    const notRetired = planDatabase(migrations, { ledger: ledger('0001_a.sql', '0002_b.sql', '0003_c.sql'), meta: new Map() });
    expect(notRetired.drift).toEqual([{ name: '0002_b.sql', reason: 'file missing' }]);
  });
});
