import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { inShard, parseShard, runsCanaries, shardOf } from '../../../src/fleet/shard.js';
import { selectFleetWork, selectTenants } from '../../../src/fleet/select.js';

const tenants = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `tenant-${String(from + i).padStart(5, '0')}`);

function slices(ids: readonly string[], count: number): string[][] {
  return Array.from({ length: count }, (_, i) => ids.filter((id) => inShard(id, { index: i + 1, count })));
}

describe('shardOf / inShard', () => {
  it('slices are disjoint and together cover the fleet, for every shard count up to 16', () => {
    const ids = tenants(0, 1000);
    for (let count = 1; count <= 16; count += 1) {
      const parts = slices(ids, count);
      const all = parts.flat();
      expect(all).toHaveLength(ids.length);
      expect(new Set(all).size).toBe(ids.length);
      expect(new Set(all)).toEqual(new Set(ids));
    }
  });

  it('adding tenants moves no existing tenant to another shard', () => {
    const before = tenants(0, 500);
    const after = [...tenants(500, 800), ...before.slice().reverse(), ...tenants(800, 1000)];
    for (const count of [2, 3, 7, 8, 256]) {
      const owner = new Map(before.map((id) => [id, shardOf(id, count)]));
      const ownerAfter = new Map(after.map((id) => [id, shardOf(id, count)]));
      for (let index = 1; index <= count; index += 1) {
        const old = before.filter((id) => owner.get(id) === index);
        const now = after.filter((id) => ownerAfter.get(id) === index);
        // Every tenant a shard had is still its own; the new ones are the only additions.
        expect(now.filter((id) => owner.has(id)).sort()).toEqual(old.sort());
      }
    }
  });

  it('depends on the id, not its position: the same tenant lands in the same shard in any order', () => {
    const ids = tenants(0, 200);
    const shuffled = [...ids].sort((a, b) => (shardOf(a, 97) - shardOf(b, 97)) || a.localeCompare(b));
    expect(slices(shuffled, 4).map((s) => s.sort())).toEqual(slices(ids, 4).map((s) => s.sort()));
  });

  it('spreads tenants evenly enough (each of 8 shards within 25% of its share of 4000)', () => {
    const counts = slices(tenants(0, 4000), 8).map((s) => s.length);
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThan(125);
  });

  it('is sha256-based and fixed: a known id always maps to the same shard (the contract between runs and versions)', () => {
    // Pinned: a refactor of the hash would reshuffle every fleet between a run's shards and its retry.
    expect(['acme', 'globex', 'initech', 'umbrella'].map((id) => shardOf(id, 10))).toEqual([3, 10, 4, 3]);
    expect(shardOf('acme', 1)).toBe(1);
    expect(() => shardOf('acme', 0)).toThrow(RangeError);
  });

  it('canaries belong to shard 1 (and to an unsharded run)', () => {
    expect(runsCanaries(undefined)).toBe(true);
    expect(runsCanaries({ index: 1, count: 4 })).toBe(true);
    expect(runsCanaries({ index: 2, count: 4 })).toBe(false);
  });
});

describe('parseShard', () => {
  it('reads i/n', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    expect(parseShard(' 256 / 256 ')).toEqual({ index: 256, count: 256 });
  });

  it.each([
    ['0/4', 'numbered from 1'],
    ['5/4', 'no shard 5 of 4'],
    ['1/0', 'at least 1'],
    ['1/257', 'at most 256'],
    ['2', 'not of the form'],
    ['a/b', 'not of the form'],
    ['-1/4', 'not of the form'],
    ['1.5/4', 'not of the form'],
  ])('refuses %s (exit 2, with the fix)', (text, why) => {
    let error: unknown;
    try {
      parseShard(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).exitCode).toBe(2);
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).toContain('--shard <i>/<n>');
  });
});

describe('selectFleetWork: the slice of a sharded run, canaries in shard 1 only', () => {
  const fleet = tenants(0, 300);

  it('without a shard: every tenant, the canaries chosen as configured', () => {
    expect(selectFleetWork(fleet, '1%')).toEqual({ tenants: fleet, canaries: fleet.slice(0, 3) });
  });

  it.each([['2%' as const], [['tenant-00007', 'tenant-00150', 'tenant-00299'] as const]])(
    'canaries %j: shard 1 runs every canary plus its slice, the others their slice without canaries; together the fleet, once',
    (canary) => {
      const all = selectFleetWork(fleet, canary).canaries;
      expect(all.length).toBeGreaterThan(0);
      for (const count of [1, 2, 5]) {
        const works = Array.from({ length: count }, (_, i) => selectFleetWork(fleet, canary, { shard: { index: i + 1, count } }));
        expect(works[0]!.canaries).toEqual(all);
        for (const w of works.slice(1)) {
          expect(w.canaries).toEqual([]);
          expect(w.tenants.filter((t) => all.includes(t))).toEqual([]);
        }
        const covered = works.flatMap((w) => w.tenants);
        expect(covered).toHaveLength(fleet.length);
        expect(new Set(covered)).toEqual(new Set(fleet));
        // fleet order is kept within a shard
        for (const w of works) expect(w.tenants).toEqual(fleet.filter((t) => w.tenants.includes(t)));
      }
    },
  );

  it('selectTenants is the same slice', () => {
    expect(selectTenants(fleet, { shard: { index: 2, count: 3 }, canary: '1%' })).toEqual(selectFleetWork(fleet, '1%', { shard: { index: 2, count: 3 } }).tenants);
  });
});
