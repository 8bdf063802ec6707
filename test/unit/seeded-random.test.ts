import { describe, expect, it } from 'vitest';
import { seededRandom, testSeed } from '../helpers/seeded-random.js';

describe('the crash tests’ seeded random', () => {
  it('replays the same sequence for the same seed, and another for another seed', () => {
    const take = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 8 }, () => r.next());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
    for (const x of take(7)) expect(x >= 0 && x < 1).toBe(true);
    expect(seededRandom(42).replay).toBe('PROMOTE_TEST_SEED=42');
  });

  it('spreads over [0, 1): every tenth holds about a tenth of 10,000 draws', () => {
    const r = seededRandom(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(r.next() * 10)]! += 1;
    for (const n of buckets) expect(n).toBeGreaterThan(850);
  });

  it('takes the seed from PROMOTE_TEST_SEED, refuses a bad one, and picks a fresh one otherwise', () => {
    expect(testSeed({ PROMOTE_TEST_SEED: '123' })).toBe(123);
    expect(() => testSeed({ PROMOTE_TEST_SEED: 'abc' })).toThrow(/PROMOTE_TEST_SEED=abc/);
    expect(() => testSeed({ PROMOTE_TEST_SEED: '-1' })).toThrow();
    const fresh = testSeed({});
    expect(Number.isInteger(fresh) && fresh >= 0 && fresh < 2 ** 31).toBe(true);
  });
});
