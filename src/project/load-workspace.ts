/**
 * Everything that can be wrong with the user's files, found at once and before
 * any environment is touched: config, cross-file rules, migration files, lint.
 */
import { loadProject } from '../config/load-project.js';
import type { LoadedEnvironment, Project } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { loadMigrations } from '../migrations/index.js';
import type { Migration } from '../migrations/types.js';
import { isError, sortProblems, type Problem } from '../problems.js';
import { environmentDatabases, type EnvironmentDatabase } from './environment-databases.js';

export interface Workspace {
  project: Project;
  /** Migrations per folder (several databases may share one). */
  migrations: Map<string, Migration[]>;
  /** Lint warnings and other non-fatal findings. */
  warnings: Problem[];
  databasesOf(env: LoadedEnvironment): EnvironmentDatabase[];
}

export async function loadWorkspace(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Workspace> {
  const { project, warnings } = await loadProject(root, { env });
  const problems: Problem[] = [...warnings];
  const databases = new Map<string, EnvironmentDatabase[]>();
  for (const e of project.environments.values()) {
    try {
      databases.set(e.name, environmentDatabases(root, e));
    } catch (err) {
      if (err instanceof InvalidInputError) problems.push(...err.problems);
      else throw err;
    }
  }
  const dirs = new Set([...databases.values()].flat().map((d) => d.migrationsDir));
  const migrations = new Map<string, Migration[]>();
  for (const dir of [...dirs].sort()) {
    const loaded = await loadMigrations(root, dir, { allowGaps: project.pipeline.migrations.allowGaps });
    migrations.set(dir, loaded.migrations);
    problems.push(...loaded.problems);
  }
  const errors = problems.filter(isError);
  if (errors.length > 0) throw new InvalidInputError(sortProblems(problems));
  return {
    project,
    migrations,
    warnings: sortProblems(problems),
    databasesOf: (e) => databases.get(e.name) ?? [],
  };
}
