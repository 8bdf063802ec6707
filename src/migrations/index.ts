/**
 * Public API of migration discovery and linting. Everything except readMigrationDir and
 * loadMigrations is pure.
 */
import type { Problem } from '../problems.js';
import { discoverMigrations } from './discover.js';
import { lintMigrations } from './lint.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readMigrationDir } from './read-migration-dir.js';
import { readMigrationPattern } from './read-migration-pattern.js';
import { RETIRED_FILE, parseRetired } from './retired-file.js';
import type { Migration } from './types.js';

export type { Migration, RawFile, Seed, SqlFile, Statement } from './types.js';
export { ALL_SEEDS, SEEDS_DIR, loadSeedTree, type SeedFolder, type SeedTree } from './seed-files.js';
export { planSeeds, seedOrder, type AppliedSeed, type SeedPlan } from './seed-plan.js';
export { checksumOf } from './checksum.js';
export { discoverMigrations, type DiscoverOptions, type Discovered } from './discover.js';
export { lintMigrations } from './lint.js';
export { classifyMigration, contractReasons, type ContractReason, type MigrationClass, type MigrationClassification } from './expand-contract.js';
export { readMigrationDir, type MigrationDirContents } from './read-migration-dir.js';
export { RETIRED_FILE, addRetired, parseRetired } from './retired-file.js';
export { hasExecutableSql, isCompleteStatement, splitStatements } from './split-statements.js';
export { identifierOf, keywordOf, leadingKeywords, tokenize, type Token, type TokenKind } from './sql-tokens.js';
export { parseMigrationName, suggestMigrationName, type ParsedName } from './migration-names.js';
export { ALLOWED_PRAGMAS, ALLOWED_VIRTUAL_TABLE_MODULES, MAX_STATEMENT_BYTES, isLedgerTable } from './statement-rules.js';

export const ROLLBACK_SUBDIR = 'rollback';

export interface LoadedMigrations {
  /** False when the directory does not exist (then migrations and problems are empty). */
  found: boolean;
  migrations: Migration[];
  /** Read, naming, content and lint problems, errors and warnings together, in discovery order. */
  problems: Problem[];
  /** Names listed in the folder's .retired file. */
  retired: Set<string>;
}

export interface LoadOptions {
  allowGaps?: boolean;
  /** wrangler's migrations_pattern, relative to `dir`; default: the folder's own *.sql files. */
  pattern?: string;
}

/** Reads, discovers and lints `root/dir`. Lint runs even when discovery found errors, so the user sees everything at once. */
export async function loadMigrations(root: string, dir: string, opts: LoadOptions = {}): Promise<LoadedMigrations> {
  const read = opts.pattern !== undefined && opts.pattern !== '*.sql' ? await readMigrationPattern(root, dir, opts.pattern) : await readMigrationDir(root, dir);
  if (read === null) return { found: false, migrations: [], problems: [], retired: new Set() };
  const { retired, problem } = await readRetired(root, dir);
  if (problem) read.problems.push(problem);
  // Rollback files may live in <dir>/rollback/, where wrangler never looks.
  const rollbacks = await readMigrationDir(root, `${dir}/${ROLLBACK_SUBDIR}`);
  const files = [...read.files, ...(rollbacks?.files ?? []).map((f) => ({ ...f, subdir: ROLLBACK_SUBDIR }))];
  read.problems.push(...(rollbacks?.problems ?? []));
  const discovered = discoverMigrations(files, { dir, retired, ...(opts.allowGaps !== undefined ? { allowGaps: opts.allowGaps } : {}) });
  return {
    found: true,
    retired,
    migrations: discovered.migrations,
    problems: [...read.problems, ...discovered.problems, ...lintMigrations(discovered.migrations)],
  };
}

/** The folder's .retired list; a file that cannot be read is a problem reported with the others, never a throw. */
async function readRetired(root: string, dir: string): Promise<{ retired: Set<string>; problem?: Problem }> {
  try {
    return { retired: parseRetired(await readFile(join(root, dir, RETIRED_FILE), 'utf8')) };
  } catch (e) {
    const code = (e as { code?: string }).code;
    // ENOENT: no retired migrations; ENOTDIR/ELOOP on the folder itself are already reported by readMigrationDir.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return { retired: new Set() };
    const file = `${dir}/${RETIRED_FILE}`;
    return { retired: new Set(), problem: { severity: 'error', code: 'E_UNREADABLE_FILE', message: `cannot read ${file}: ${code ?? (e as Error).message}`, file, hint: 'check the file permissions, or remove a broken symlink' } };
  }
}
