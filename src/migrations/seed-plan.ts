/**
 * Pure planning of seeds: the files meant for one database + its promote_seeds rows -> what is
 * applied and what is pending. A seed is applied once: a file changed after it was applied is
 * reported (its checksum differs), never applied again; a file removed after it was applied is
 * simply history (its rows stay in the database).
 */
import type { SeedRow } from './applied-state.js';
import type { Seed } from './types.js';

export interface AppliedSeed {
  name: string;
  appliedAt: string;
  runId?: string;
  /** The file's checksum differs from the one recorded when it was applied. */
  changed: boolean;
  /** No file of that name any more. */
  fileMissing: boolean;
}

export interface SeedPlan {
  applied: AppliedSeed[];
  /** In application order: seeds/all/ first, then the environment's own, each by number. */
  pending: Seed[];
}

export function planSeeds(seeds: readonly Seed[], rows: readonly SeedRow[]): SeedPlan {
  const byName = new Map(seeds.map((s) => [s.name, s]));
  const applied = rows.map((r): AppliedSeed => {
    const file = byName.get(r.name);
    return {
      name: r.name,
      appliedAt: r.applied_at,
      ...(r.run_id ? { runId: r.run_id } : {}),
      changed: file !== undefined && r.checksum !== null && r.checksum !== file.checksum,
      fileMissing: file === undefined,
    };
  });
  const done = new Set(rows.map((r) => r.name));
  return { applied, pending: seeds.filter((s) => !done.has(s.name)) };
}

/** seeds/all/ before seeds/<env>/, each folder by number (then name, as migrations are). */
export function seedOrder(a: Seed, b: Seed): number {
  const rank = (s: Seed) => (s.scope === 'all' ? 0 : 1);
  return rank(a) - rank(b) || a.number - b.number || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
