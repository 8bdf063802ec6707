/**
 * The one module of src/migrations that touches the file system: it reads a migrations directory
 * into RawFiles so that everything after it (discover, lint) is pure and testable without disk.
 *
 * Only the directory's own entries are read, never subdirectories, so a symlink loop cannot make
 * it walk forever; a symlink to a file is followed, a symlink to a directory is skipped like any
 * directory. Only `.sql` names are read (case-insensitively, so discovery can still flag `x.SQL`):
 * nothing else could become a migration. A file that cannot be read becomes a Problem, not a throw,
 * so the user sees it together with every other problem.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Problem } from '../problems.js';
import { isSqlFileName } from './migration-names.js';
import type { RawFile } from './types.js';

/**
 * Larger files are refused before they are read: linting and preflight take about a second per MB,
 * and D1 takes a migration as one request (its statements at most 100 KB each).
 */
export const MAX_MIGRATION_FILE_BYTES = 5 * 1024 * 1024;

/** A name that would be taken for a forward migration: a folder so named is reported, not skipped. */
const MIGRATION_LIKE = /^\d+_.*\.sql$/i;

export interface MigrationDirContents {
  /** Sorted by name. */
  files: RawFile[];
  /** E_UNREADABLE_FILE per file that could not be read; E_UNREADABLE_DIR when the path is not a readable directory. */
  problems: Problem[];
}

/**
 * @param root project root (absolute)
 * @param dir migrations directory relative to root, as shown in problems (e.g. "migrations")
 * @returns null when the directory does not exist: a project without D1 migrations is not an error here.
 */
export async function readMigrationDir(root: string, dir: string): Promise<MigrationDirContents | null> {
  const absolute = join(root, dir);
  const display = dir.replaceAll('\\', '/').replace(/\/+$/, '');
  const shown = (name: string): string => (display === '' || display === '.' ? name : `${display}/${name}`);

  let entries;
  try {
    entries = await readdir(absolute, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    return {
      files: [],
      problems: [
        {
          severity: 'error',
          code: 'E_UNREADABLE_DIR',
          message: `cannot read migrations directory ${display || '.'}: ${code === 'ENOTDIR' ? 'it is not a directory' : describe(error)}`,
          file: display || '.',
          hint: 'point the migrations directory setting at a readable directory',
        },
      ],
    };
  }

  const files: RawFile[] = [];
  const problems: Problem[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!isSqlFileName(entry.name)) continue;
    const path = join(absolute, entry.name);
    try {
      // stat follows a symlink once; a link to a directory (or a FIFO, socket...) is not a migration.
      const info = await stat(path);
      if (!info.isFile()) {
        // ...but a folder named like one (0003_x.sql/) is a mistake that would silently drop a migration.
        if (info.isDirectory() && MIGRATION_LIKE.test(entry.name)) {
          problems.push({
            severity: 'error',
            code: 'E_UNREADABLE_FILE',
            message: `cannot read ${shown(entry.name)}: it is a directory, not a migration file`,
            file: shown(entry.name),
            hint: `replace the folder ${shown(entry.name)} with the SQL file, or rename it so it does not look like a migration`,
          });
        }
        continue;
      }
      if (info.size > MAX_MIGRATION_FILE_BYTES) {
        problems.push({
          severity: 'error',
          code: 'E_FILE_TOO_LARGE',
          message: `${shown(entry.name)} is ${(info.size / (1024 * 1024)).toFixed(1)} MB; a migration file may be at most ${MAX_MIGRATION_FILE_BYTES / (1024 * 1024)} MB`,
          file: shown(entry.name),
          hint: 'split it into several migrations, or load bulk data separately (wrangler d1 execute --file, or D1 import)',
        });
        continue;
      }
      files.push({ name: entry.name, bytes: new Uint8Array(await readFile(path)) });
    } catch (error) {
      problems.push({
        severity: 'error',
        code: 'E_UNREADABLE_FILE',
        message: `cannot read ${shown(entry.name)}: ${describe(error)}`,
        file: shown(entry.name),
        hint: 'check the file permissions, or remove a broken symlink',
      });
    }
  }
  return { files, problems };
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code} (${message})` : message;
}
