/**
 * Public API of migration discovery and linting. Everything except readMigrationDir and
 * loadMigrations is pure.
 */
import type { Problem } from '../problems.js';
import { discoverMigrations } from './discover.js';
import { lintMigrations } from './lint.js';
import { readMigrationDir } from './read-migration-dir.js';
import type { Migration } from './types.js';

export type { Migration, RawFile, SqlFile, Statement } from './types.js';
export { checksumOf } from './checksum.js';
export { discoverMigrations, type DiscoverOptions, type Discovered } from './discover.js';
export { lintMigrations } from './lint.js';
export { classifyMigration, contractReasons, type ContractReason, type MigrationClass, type MigrationClassification } from './expand-contract.js';
export { readMigrationDir, type MigrationDirContents } from './read-migration-dir.js';
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
}

/** Reads, discovers and lints `root/dir`. Lint runs even when discovery found errors, so the user sees everything at once. */
export async function loadMigrations(root: string, dir: string, opts: { allowGaps?: boolean } = {}): Promise<LoadedMigrations> {
  const read = await readMigrationDir(root, dir);
  if (read === null) return { found: false, migrations: [], problems: [] };
  // Rollback files may live in <dir>/rollback/, where wrangler never looks.
  const rollbacks = await readMigrationDir(root, `${dir}/${ROLLBACK_SUBDIR}`);
  const files = [...read.files, ...(rollbacks?.files ?? []).map((f) => ({ ...f, subdir: ROLLBACK_SUBDIR }))];
  read.problems.push(...(rollbacks?.problems ?? []));
  const discovered = discoverMigrations(files, { dir, ...(opts.allowGaps !== undefined ? { allowGaps: opts.allowGaps } : {}) });
  return {
    found: true,
    migrations: discovered.migrations,
    problems: [...read.problems, ...discovered.problems, ...lintMigrations(discovered.migrations)],
  };
}
