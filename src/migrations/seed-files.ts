/**
 * Seed files: `seeds/all/NNNN_slug.sql` for every environment, `seeds/<env>/NNNN_slug.sql` for one,
 * and `seeds/<scope>/<BINDING>/NNNN_slug.sql` where an environment has several databases. Each folder
 * is read, named, numbered and linted exactly like a migrations folder (same rules, same problems,
 * same file:line), so a bad seed stops every command with exit 2 before anything is touched.
 *
 * Which environment and database a folder belongs to needs the config: that is seed-layout.ts's job
 * (engine). Here only the files.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Problem } from '../problems.js';
import { discoverMigrations } from './discover.js';
import { lintMigrations } from './lint.js';
import { readMigrationDir } from './read-migration-dir.js';
import type { RawFile, Seed } from './types.js';

export const SEEDS_DIR = 'seeds';
/** seeds/all/ is for every environment, so no environment's folder can be called that. */
export const ALL_SEEDS = 'all';

export interface SeedFolder {
  /** `all` or an environment's name (not checked here). */
  scope: string;
  /** The database folder's name, when the folder is seeds/<scope>/<BINDING>/. */
  binding?: string;
  /** Relative to the project root, e.g. seeds/dev or seeds/all/DB. */
  dir: string;
  seeds: Seed[];
}

export interface SeedTree {
  folders: SeedFolder[];
  problems: Problem[];
}

const ROLLBACK_NAME = /\.rollback\.sql$/i;

/** Reads every seed folder; null when the project has no seeds/ folder. */
export async function loadSeedTree(root: string, opts: { allowGaps?: boolean } = {}): Promise<SeedTree | null> {
  const top = await listDir(root, SEEDS_DIR);
  if (top === null) return null;
  const problems: Problem[] = [];
  if (top.error) return { folders: [], problems: [unreadable(SEEDS_DIR, top.error)] };
  for (const name of top.files.filter((n) => /\.sql$/i.test(n))) {
    problems.push({
      severity: 'error',
      code: 'E_SEED_LAYOUT',
      file: `${SEEDS_DIR}/${name}`,
      message: `${SEEDS_DIR}/${name} is in no environment's folder`,
      hint: `move it to ${SEEDS_DIR}/${ALL_SEEDS}/${name} (every environment) or ${SEEDS_DIR}/<environment>/${name} (one)`,
    });
  }
  const folders: SeedFolder[] = [];
  for (const scope of top.dirs) {
    const scopeDir = `${SEEDS_DIR}/${scope}`;
    const inner = await listDir(root, scopeDir);
    if (inner?.error) problems.push(unreadable(scopeDir, inner.error));
    folders.push(await loadFolder(root, scopeDir, scope, undefined, opts, problems));
    for (const binding of inner?.dirs ?? []) folders.push(await loadFolder(root, `${scopeDir}/${binding}`, scope, binding, opts, problems));
  }
  return { folders, problems };
}

async function loadFolder(root: string, dir: string, scope: string, binding: string | undefined, opts: { allowGaps?: boolean }, problems: Problem[]): Promise<SeedFolder> {
  const read = await readMigrationDir(root, dir);
  problems.push(...(read?.problems ?? []));
  const files: RawFile[] = [];
  for (const f of read?.files ?? []) {
    if (!ROLLBACK_NAME.test(f.name)) {
      files.push(f);
      continue;
    }
    problems.push({
      severity: 'error',
      code: 'E_SEED_ROLLBACK',
      file: `${dir}/${f.name}`,
      message: `${dir}/${f.name}: seeds have no rollback files`,
      hint: 'delete it; a seed is applied once and stays (time travel restores a bookmark taken before it)',
    });
  }
  const discovered = discoverMigrations(files, { dir, ...(opts.allowGaps !== undefined ? { allowGaps: opts.allowGaps } : {}) });
  problems.push(...discovered.problems, ...lintMigrations(discovered.migrations));
  const prefix = `${scope}/${binding ? `${binding}/` : ''}`;
  const seeds = discovered.migrations.map(({ rollback: _none, ...m }): Seed => ({ ...m, name: `${prefix}${m.name}`, scope, ...(binding ? { binding } : {}) }));
  return { scope, ...(binding ? { binding } : {}), dir, seeds };
}

type Listing = { files: string[]; dirs: string[]; error?: undefined } | { files: []; dirs: []; error: string };

async function listDir(root: string, dir: string): Promise<Listing | null> {
  try {
    const entries = await readdir(join(root, dir), { withFileTypes: true });
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const sorted = entries.sort(byName);
    return {
      files: sorted.filter((e) => !e.isDirectory()).map((e) => e.name),
      // Dot folders (.git, .DS_Store-like tooling) are nobody's seeds.
      dirs: sorted.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name),
    };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') return null;
    return { files: [], dirs: [], error: code === 'ENOTDIR' ? 'it is not a directory' : (code ?? (e as Error).message) };
  }
}

function unreadable(dir: string, reason: string): Problem {
  return { severity: 'error', code: 'E_UNREADABLE_DIR', file: dir, message: `cannot read seeds directory ${dir}: ${reason}`, hint: `make ${dir} a readable directory of seed files` };
}
