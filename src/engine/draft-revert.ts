/**
 * `promote new --revert <NNNN>`'s work: the migrations replayed on a scratch
 * database of their own (no environment needed) up to NNNN, the schema read
 * before and after NNNN, and the pure generator's draft from the two.
 * Nothing is written here; the command writes the file.
 */
import { InvalidInputError } from '../errors.js';
import { replayPrefixes } from '../ledger/baseline.js';
import { bookkeepingTables } from '../ledger/schema-read.js';
import { ROLLBACK_SUBDIR, loadMigrations, type Migration } from '../migrations/index.js';
import { isError } from '../problems.js';
import { revertDraft } from '../schema/revert-draft.js';
import { startStandaloneScratch } from '../targets/local/scratch-d1.js';

export interface DraftedRevert {
  migration: Migration;
  /** Relative to the project root: <dir>/rollback/NNNN_slug.rollback.sql */
  path: string;
  sql: string;
  lost: string[];
  warnings: string[];
}

/** Where a migration's rollback goes: rollback/, where `wrangler d1 migrations apply` never looks. */
export function rollbackPathOf(dir: string, migration: Pick<Migration, 'name'>): string {
  return `${dir}/${ROLLBACK_SUBDIR}/${migration.name.replace(/\.sql$/i, '.rollback.sql')}`;
}

export async function draftRevert(root: string, dir: string, number: string): Promise<DraftedRevert> {
  const loaded = await loadMigrations(root, dir);
  const where = { file: dir, severity: 'error' as const };
  if (!loaded.found) {
    throw new InvalidInputError([{ ...where, code: 'E_REVERT_NO_MIGRATIONS', message: `--revert ${number}: there is no ${dir} folder`, hint: 'run it in the project root, or name the folder with --dir' }]);
  }
  const errors = loaded.problems.filter(isError);
  if (errors.length > 0) throw new InvalidInputError(errors, `${errors.length} problem(s) in ${dir}: fix them before drafting a rollback (promote validate lists them); nothing was written`);
  const at = /^\d+$/.test(number) ? loaded.migrations.findIndex((m) => m.number === Number(number)) : -1;
  if (at < 0) {
    const numbers = loaded.migrations.map((m) => m.id);
    throw new InvalidInputError([
      {
        ...where,
        code: 'E_REVERT_UNKNOWN',
        message: `--revert ${number}: no migration numbered ${number} in ${dir}`,
        hint: numbers.length > 0 ? `use the number of one of its files: ${numbers.slice(-5).join(', ')}` : `${dir} has no migrations yet`,
      },
    ]);
  }
  const migration = loaded.migrations[at]!;
  const path = rollbackPathOf(dir, migration);
  if (migration.rollback) throw rollbackExists(migration.rollback.path);

  const exclude = bookkeepingTables(['d1_migrations']);
  const scratch = await startStandaloneScratch(`${dir} (scratch for --revert)`);
  let replay;
  try {
    replay = await replayPrefixes(scratch.database, loaded.migrations.slice(0, at + 1), ['d1_migrations']);
  } finally {
    await scratch.dispose();
  }
  if (replay.failed) {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_REVERT_REPLAY',
        file: replay.failed.migration.path,
        message: `${replay.failed.migration.name} fails on an empty scratch database: ${replay.failed.message}`,
        hint: 'the schema before and after the migration comes from replaying every migration up to it: fix the file so it applies',
      },
    ]);
  }
  const draft = revertDraft({ migration: migration.name, before: replay.rows[at]!, after: replay.rows[at + 1]!, exclude });
  return { migration, path, ...draft };
}

export function rollbackExists(path: string): InvalidInputError {
  return new InvalidInputError([
    {
      severity: 'error',
      code: 'E_ROLLBACK_EXISTS',
      file: path,
      message: `${path} already exists: promote never overwrites a rollback file`,
      hint: 'delete or rename it first if a fresh draft should replace it',
    },
  ]);
}
