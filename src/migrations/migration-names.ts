/**
 * The migration file-name convention and what to suggest when a name breaks it.
 *
 * `NNNN_slug.sql`, optionally `NNNN_slug.rollback.sql`. The number is one or more digits
 * (wrangler writes four, timestamps are longer; any width parses, and discovery warns when widths
 * make name order differ from numeric order, since wrangler applies files in name order). The slug
 * starts with a letter or digit and holds letters, digits, _ and -: no dots, so `.rollback.sql`
 * is unambiguous, and no spaces, which break shell use. The extension must be lower-case `.sql`
 * because wrangler only sees names ending in exactly ".sql".
 */

export interface ParsedName {
  /** Digits as written, e.g. "0001". */
  id: string;
  number: number;
  slug: string;
  isRollback: boolean;
  /** The name of the forward migration this file is or belongs to, e.g. 0001_init.sql */
  baseName: string;
}

const NAME = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)(\.rollback)?\.sql$/;
/**
 * drizzle-kit's folder per migration, matched by wrangler's `migrations_pattern`
 * (e.g. `migrations/*\/migration.sql`): the folder carries number and slug, and wrangler records the
 * path relative to migrations_dir (`0000_init/migration.sql`) as the migration's name.
 */
const FOLDER_NAME = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\/(?:[^/]+\/)*[^/]+\.sql$/;

export function parseMigrationName(name: string): ParsedName | undefined {
  const folder = FOLDER_NAME.exec(name);
  if (folder) {
    const [, id, slug] = folder as unknown as [string, string, string];
    const number = Number(id);
    return Number.isSafeInteger(number) ? { id, number, slug, isRollback: false, baseName: name } : undefined;
  }
  const match = NAME.exec(name);
  if (!match) return undefined;
  const [, id, slug, rollback] = match as unknown as [string, string, string, string | undefined];
  const number = Number(id);
  if (!Number.isSafeInteger(number)) return undefined;
  return { id, number, slug, isRollback: rollback !== undefined, baseName: `${id}_${slug}.sql` };
}

/** Files discovery looks at: anything else (README.md, .gitkeep) is not a migration. */
export function isSqlFileName(name: string): boolean {
  return name.toLowerCase().endsWith('.sql');
}

/**
 * A conforming name for a file that does not conform, keeping its number when it has one and
 * otherwise calling `nextNumber` for one: "add users.sql" -> "0003_add_users.sql", "2-seed.SQL" -> "2_seed.sql",
 * "0004_x.down.sql" -> "0004_x.rollback.sql".
 */
export function suggestMigrationName(name: string, nextNumber: () => string): string {
  let stem = name.replace(/\.sql$/i, '');
  const rollbackSuffix = /[._-](rollback|down|undo|revert)$/i;
  const isRollback = rollbackSuffix.test(stem);
  stem = stem.replace(rollbackSuffix, '');
  const numbered = /^(\d+)[\s._-]*(.*)$/.exec(stem);
  const id = numbered ? numbered[1] : nextNumber();
  const rest = numbered ? (numbered[2] ?? '') : stem;
  const slug = rest.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[_-]+|[_-]+$/g, '') || 'migration';
  return `${id}_${slug}${isRollback ? '.rollback' : ''}.sql`;
}

/** `n` written with at least `width` digits, matching the project's existing numbering. */
export function padNumber(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
