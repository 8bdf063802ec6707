/**
 * Randomness a failing test can replay. The crash tests pick their kill points
 * from this: each run explores new points (a fresh seed unless PROMOTE_TEST_SEED
 * is set), and a failure says which seed to set to get exactly those points again.
 */
import { randomInt } from 'node:crypto';
import { onTestFailed } from 'vitest';

export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1), like Math.random(). */
  next(): number;
  /** How to replay this sequence: `PROMOTE_TEST_SEED=<seed>`. */
  readonly replay: string;
}

/** mulberry32: tiny, fast, and plenty for choosing test inputs (not for anything secret). */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  return {
    seed,
    replay: `PROMOTE_TEST_SEED=${seed}`,
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** The seed from PROMOTE_TEST_SEED, or a fresh one. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PROMOTE_TEST_SEED;
  if (raw === undefined || raw === '') return randomInt(2 ** 31);
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`PROMOTE_TEST_SEED=${raw}: expected a whole number below 2^32`);
  return seed;
}

/**
 * A seeded random for the running test: the seed is printed if it fails
 * (call inside the test, before the first use).
 */
export function randomForTest(label: string): SeededRandom {
  const random = seededRandom(testSeed());
  onTestFailed(() => {
    console.error(`${label}: seed ${random.seed}; rerun with ${random.replay} for the same choices`);
  });
  return random;
}
