/**
 * Everything that can be wrong with the user's files, found at once and before
 * any environment is touched: config, cross-file rules, migration files, lint.
 *
 * A config error does not hide migration problems: when the config is invalid, the
 * migration folders that can still be known are linted in the same run, and one
 * InvalidInputError carries both. Those folders are:
 * - `migrations`, the default every database uses unless told otherwise;
 * - the folders of every environment file that is valid on its own (for a cloudflare
 *   one, from the wrangler config, as when the config is valid);
 * - in environment files that parsed as YAML but did not validate, each
 *   `databases[].migrations` that is a plain string (no unexpanded ${VAR}): the user
 *   wrote it, so its folder is almost certainly the one they mean.
 * A folder that does not exist is simply skipped (loadMigrations reports nothing for it).
 */
import { readProject, type ProjectRead } from '../config/load-project.js';
import type { LoadedEnvironment, Project } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { loadMigrations, loadSeedTree } from '../migrations/index.js';
import type { Migration, Seed } from '../migrations/types.js';
import { layOutSeeds } from './seed-layout.js';
import { isError, sortProblems, type Problem } from '../problems.js';
import { environmentDatabases, type EnvironmentDatabase } from '../config/environment-databases.js';

/** The folder a database's migrations live in when nothing says otherwise. */
export const DEFAULT_MIGRATIONS_DIR = 'migrations';

export interface Workspace {
  project: Project;
  /** Migrations per folder (several databases may share one). */
  migrations: Map<string, Migration[]>;
  /** Per folder, the applied migrations removed on purpose (its .retired file). */
  retired: Map<string, Set<string>>;
  /** Lint warnings and other non-fatal findings. */
  warnings: Problem[];
  databasesOf(env: LoadedEnvironment): EnvironmentDatabase[];
  /** The seeds of one database of an environment, in application order (seeds/all/, then seeds/<env>/). */
  seedsOf(env: LoadedEnvironment, binding: string): Seed[];
}

/** `vars`: the variables `${VAR}` in the config files expands (the CLI passes the process environment). */
export async function loadWorkspace(root: string, vars: Readonly<Record<string, string | undefined>>): Promise<Workspace> {
  const read = await readProject(root, { env: vars });
  const { project } = read;
  const problems: Problem[] = [...read.problems];

  const databases = new Map<string, EnvironmentDatabase[]>();
  for (const e of project ? [...project.environments.values()] : validEnvironments(read)) {
    try {
      databases.set(e.name, environmentDatabases(root, e));
    } catch (err) {
      if (err instanceof InvalidInputError) problems.push(...err.problems);
      else throw err;
    }
  }
  const dirs = new Set([...databases.values()].flat().map((d) => d.migrationsDir));
  if (!project) {
    dirs.add(DEFAULT_MIGRATIONS_DIR);
    for (const dir of writtenMigrationDirs(read)) dirs.add(dir);
  }

  const allowGaps = project ? project.pipeline.migrations.allowGaps : writtenAllowGaps(read);
  const patterns = folderPatterns([...databases.values()].flat(), problems);
  const migrations = new Map<string, Migration[]>();
  const retired = new Map<string, Set<string>>();
  for (const dir of [...dirs].sort()) {
    const pattern = patterns.get(dir);
    const loaded = await loadMigrations(root, dir, { allowGaps, ...(pattern ? { pattern } : {}) });
    migrations.set(dir, loaded.migrations);
    retired.set(dir, loaded.retired);
    problems.push(...loaded.problems);
  }

  // Seed files are checked like migrations, whatever the config says; where they go needs the environments.
  const tree = await loadSeedTree(root, { allowGaps });
  problems.push(...(tree?.problems ?? []));
  const seeds = project
    ? layOutSeeds(tree, [...project.environments.values()].map((e) => ({ env: e, databases: databases.get(e.name) ?? [] })))
    : undefined;
  problems.push(...(seeds?.problems ?? []));

  const sorted = sortProblems(problems);
  if (!project || sorted.some(isError)) throw new InvalidInputError(sorted);
  return {
    project,
    migrations,
    retired,
    warnings: sorted,
    databasesOf: (e) => databases.get(e.name) ?? [],
    seedsOf: (e, binding) => seeds?.layout.get(e.name)?.get(binding) ?? [],
  };
}

/** One pattern per folder: two databases reading one folder two ways would disagree on its migrations. */
function folderPatterns(databases: readonly EnvironmentDatabase[], problems: Problem[]): Map<string, string> {
  const patterns = new Map<string, string>();
  const seen = new Map<string, string | undefined>();
  for (const d of databases) {
    if (seen.has(d.migrationsDir) && seen.get(d.migrationsDir) !== d.migrationsPattern) {
      problems.push({
        severity: 'error',
        code: 'E_MIGRATIONS_PATTERN',
        file: d.migrationsDir,
        message: `${d.migrationsDir} is read with two migrations_pattern values (${seen.get(d.migrationsDir) ?? '*.sql'} and ${d.migrationsPattern ?? '*.sql'})`,
        hint: 'give every database that uses this folder the same migrations_pattern',
      });
      continue;
    }
    seen.set(d.migrationsDir, d.migrationsPattern);
    if (d.migrationsPattern) patterns.set(d.migrationsDir, d.migrationsPattern);
  }
  return patterns;
}

/** Environment files that are valid on their own, while another file has errors. */
function validEnvironments(read: ProjectRead): LoadedEnvironment[] {
  return read.environmentFiles.flatMap(({ name, file }) =>
    file.value ? [{ name, file: file.file, config: file.value }] : [],
  );
}

/** `databases[].migrations` folders written in local environment files that did not validate. */
function writtenMigrationDirs(read: ProjectRead): string[] {
  const dirs: string[] = [];
  for (const { file } of read.environmentFiles) {
    if (file.value || !isRecord(file.data) || file.data.target === 'cloudflare') continue;
    const list = file.data.databases;
    if (!Array.isArray(list)) continue;
    for (const db of list) {
      const dir = isRecord(db) ? db.migrations : undefined;
      if (typeof dir === 'string' && dir.trim() !== '' && !dir.includes('${')) dirs.push(trimSlashes(dir));
    }
  }
  return dirs;
}

/** migrations.allowGaps from a pipeline file with errors elsewhere: only an explicit `true` counts. */
function writtenAllowGaps(read: ProjectRead): boolean {
  const data = read.pipeline?.value ?? read.pipeline?.data;
  const migrations = isRecord(data) ? data.migrations : undefined;
  return isRecord(migrations) && migrations.allowGaps === true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The same normalisation environmentDatabases applies, so one folder is not linted twice. */
function trimSlashes(dir: string): string {
  return dir.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '') || '.';
}
