/**
 * wrangler's `migrations_pattern` (wrangler 4.98+, workers-sdk d1/migrations/helpers.ts): a glob
 * relative to the wrangler config, under migrations_dir, e.g. `migrations/*\/migration.sql` for
 * drizzle-kit's folder per migration. As in wrangler, the walk starts at migrations_dir, descends only
 * into folders the pattern can still match (minimatch partial matching), skips dot files, and names
 * each migration by its path relative to migrations_dir (`0000_init/migration.sql`): the name wrangler
 * writes to its ledger. The rollback/ folder is promote's own and never a forward migration.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Minimatch } from 'minimatch';
import type { Problem } from '../problems.js';
import { MAX_MIGRATION_FILE_BYTES, type MigrationDirContents } from './read-migration-dir.js';
import type { RawFile } from './types.js';

/**
 * @param pattern relative to `dir` (environment-databases.ts strips the `${migrations_dir}/` prefix)
 * @returns null when the directory does not exist, as readMigrationDir.
 */
export async function readMigrationPattern(root: string, dir: string, pattern: string): Promise<MigrationDirContents | null> {
  const base = join(root, dir);
  const display = dir.replaceAll('\\', '/').replace(/\/+$/, '');
  const shown = (rel: string): string => (display === '' || display === '.' ? rel : `${display}/${rel}`);
  const matcher = new Minimatch(pattern, { dot: false });
  try {
    if (!(await stat(base)).isDirectory()) return null;
  } catch {
    return null;
  }
  const files: RawFile[] = [];
  const problems: Problem[] = [];
  const stack: string[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let entries;
    try {
      entries = await readdir(join(base, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (child === 'rollback') continue;
      if (entry.isDirectory()) {
        if (matcher.match(child, true)) stack.push(child);
        continue;
      }
      if (!entry.isFile() || !matcher.match(child)) continue;
      try {
        const info = await stat(join(base, child));
        if (info.size > MAX_MIGRATION_FILE_BYTES) {
          problems.push({
            severity: 'error',
            code: 'E_FILE_TOO_LARGE',
            message: `${shown(child)} is ${(info.size / (1024 * 1024)).toFixed(1)} MB; a migration file may be at most ${MAX_MIGRATION_FILE_BYTES / (1024 * 1024)} MB`,
            file: shown(child),
            hint: 'split it into several migrations, or load bulk data separately (wrangler d1 execute --file, or D1 import)',
          });
          continue;
        }
        files.push({ name: child, bytes: new Uint8Array(await readFile(join(base, child))) });
      } catch (error) {
        problems.push({ severity: 'error', code: 'E_UNREADABLE_FILE', message: `cannot read ${shown(child)}: ${(error as Error).message}`, file: shown(child), hint: 'check the file permissions' });
      }
    }
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, problems };
}
