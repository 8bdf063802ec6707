/**
 * Everything promote keeps under .promote/ is for the machine's owner only: run journals and
 * snapshots, D1 state and bookmarks of local environments, Worker builds, and backups of
 * production databases. Folders are made 0700 and files 0600 explicitly, whatever the umask
 * (a umask can only take bits away from these, never add any), and a .promote/ folder left
 * wider by an older version is narrowed the next time promote writes into it.
 *
 * Files that are only ever created new (temp file + rename, `wx`) get their mode at creation;
 * appended files are narrowed when opened, in case they were made before.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, parse, sep } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Options for writeFile / appendFile / open that create a file readable by its owner only. */
export const PRIVATE_FILE = { mode: PRIVATE_FILE_MODE } as const;

export const PROMOTE_DIR = '.promote';

/** mkdir -p with mode 0700, and 0700 on every folder from .promote/ down to `dir`. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const d of promoteFoldersOf(dir)) await chmod(d, PRIVATE_DIR_MODE);
}

export function makePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const d of promoteFoldersOf(dir)) chmodSync(d, PRIVATE_DIR_MODE);
}

/** The folder of `file`, made private: for writers that create a file in it next. */
export async function makePrivateDirFor(file: string): Promise<void> {
  await makePrivateDir(dirname(file));
}

/**
 * `.promote` and the folders below it on the way to `dir` (outermost first). A folder outside
 * .promote/ (a local environment's `state:` pointing at .wrangler/state/v3) is the user's: only
 * created with 0700, never re-moded.
 */
function promoteFoldersOf(dir: string): string[] {
  const { root } = parse(dir);
  const parts = dir.slice(root.length).split(sep).filter(Boolean);
  const at = parts.lastIndexOf(PROMOTE_DIR);
  if (at === -1) return [];
  return parts.slice(at).map((_, i) => join(root, ...parts.slice(0, at + i + 1)));
}
