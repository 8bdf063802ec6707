/**
 * What to say when a stage's database cannot be rolled back by itself: the
 * cause as the config states it (the rollback.database policy, the stage's
 * bookmark, which files lack a rollback file), and a fix that would work.
 * Pure: the rollback step throws what this returns.
 */
import type { RollbackPolicy } from '../machine/promotion-machine.js';
import type { Migration } from '../migrations/types.js';

export interface NoBookmarkCase {
  environment: string;
  policy: Exclude<RollbackPolicy, 'none' | 'down-migrations'>;
  /** Whether the stage has bookmark: true (then none was taken before the run stopped short). */
  bookmarkConfigured: boolean;
  /** The migrations this run applied there, oldest first. */
  applied: readonly Migration[];
  pipelineFile: string;
  hasWorker: boolean;
}

export function noBookmarkAdvice(c: NoBookmarkCase): { message: string; hint: string } {
  const names = c.applied.map((m) => m.name).join(', ');
  const missing = c.applied.filter((m) => !m.rollback).map((m) => m.name);
  const why = c.bookmarkConfigured ? 'no bookmark was taken before it migrated' : `its stage in ${c.pipelineFile} has no bookmark: true`;
  const cause =
    c.policy === 'time-travel'
      ? `rollback.database is time-travel, and ${why}`
      : `rollback.database is auto, ${why}, and ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no rollback file`;
  const worker = c.hasWorker ? '; the Worker was left as it is' : '';
  const message = `${c.environment} cannot be rolled back: ${cause}. The database keeps this run's migrations (${names})${worker}`;
  const automatic =
    missing.length === 0
      ? `set bookmark: true on the ${c.environment} stage, or rollback.database: auto to use the rollback files these migrations have`
      : c.policy === 'time-travel'
        ? `set bookmark: true on the ${c.environment} stage`
        : `set bookmark: true on the ${c.environment} stage, or add rollback files for ${missing.join(', ')}`;
  return { message, hint: `decide by hand: fix forward with a new migration, or undo them with SQL; next time, to have this done by itself, ${automatic}` };
}
