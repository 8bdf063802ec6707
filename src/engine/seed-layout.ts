/**
 * Which database of which environment each seed folder feeds. The rule (README, "Seed data"):
 *
 * - seeds/all/ feeds every environment, seeds/<env>/ only <env>; an unknown folder name is an error
 *   (a typo must not silently seed nothing, nor the wrong environment).
 * - A folder either holds the .sql files itself, for environments with ONE database, or one folder per
 *   database, seeds/<scope>/<BINDING>/, never both. Files at the top of a folder that an environment
 *   with several databases reads are ambiguous: exit 2, naming the bindings to choose from.
 * - A binding folder under seeds/<env>/ must be one of <env>'s bindings; under seeds/all/ one of some
 *   environment's (it feeds every environment that has that binding).
 *
 * Order per database: seeds/all/ first, then seeds/<env>/, each by number.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import type { EnvironmentDatabase } from '../config/environment-databases.js';
import { ALL_SEEDS, SEEDS_DIR, seedOrder, type SeedFolder, type SeedTree } from '../migrations/index.js';
import type { Seed } from '../migrations/types.js';
import type { Problem } from '../problems.js';

/** Per environment name, per binding: the seeds in application order. */
export type SeedLayout = Map<string, Map<string, Seed[]>>;

export function layOutSeeds(tree: SeedTree | null, envs: readonly { env: LoadedEnvironment; databases: readonly EnvironmentDatabase[] }[]): { layout: SeedLayout; problems: Problem[] } {
  const layout: SeedLayout = new Map(envs.map(({ env, databases }) => [env.name, new Map(databases.map((d) => [d.binding, [] as Seed[]]))]));
  const problems: Problem[] = [];
  if (!tree) return { layout, problems };
  const names = envs.map((e) => e.env.name);
  const scopes = [...new Set(tree.folders.map((f) => f.scope))];
  for (const scope of scopes) {
    const folders = tree.folders.filter((f) => f.scope === scope);
    const scopeDir = `${SEEDS_DIR}/${scope}`;
    const readers = scope === ALL_SEEDS ? envs : envs.filter((e) => e.env.name === scope);
    if (readers.length === 0) {
      problems.push({
        severity: 'error',
        code: 'E_SEED_UNKNOWN_ENV',
        file: scopeDir,
        message: `${scopeDir}/ is the seed folder of no environment`,
        hint: `rename it to ${SEEDS_DIR}/${ALL_SEEDS}/ (every environment) or to one of: ${names.map((n) => `${SEEDS_DIR}/${n}/`).join(', ') || '(no environments)'}`,
      });
      continue;
    }
    const top = folders.find((f) => f.binding === undefined);
    const perDatabase = folders.filter((f) => f.binding !== undefined);
    if (top && top.seeds.length > 0 && perDatabase.length > 0) {
      problems.push({
        severity: 'error',
        code: 'E_SEED_LAYOUT',
        file: top.seeds[0]!.path,
        message: `${scopeDir}/ holds seed files and folders per database (${perDatabase.map((f) => `${f.binding}/`).join(', ')}): it must be one or the other`,
        hint: `move ${top.seeds.map((s) => s.path).join(', ')} into ${scopeDir}/<BINDING>/, or the folders' files up into ${scopeDir}/ if every environment that reads it has one database`,
      });
      continue;
    }
    if (top && top.seeds.length > 0) placeTop(top, readers, layout, problems);
    for (const f of perDatabase) placePerDatabase(f, readers, layout, problems);
  }
  for (const perBinding of layout.values()) for (const [binding, seeds] of perBinding) perBinding.set(binding, seeds.sort(seedOrder));
  return { layout, problems };
}

function placeTop(folder: SeedFolder, readers: readonly { env: LoadedEnvironment; databases: readonly EnvironmentDatabase[] }[], layout: SeedLayout, problems: Problem[]): void {
  for (const { env, databases } of readers) {
    if (databases.length === 1) {
      layout.get(env.name)!.get(databases[0]!.binding)!.push(...folder.seeds);
      continue;
    }
    // seeds/all/ may hold data for environments without a database: they simply get none.
    if (databases.length === 0 && folder.scope === ALL_SEEDS) continue;
    problems.push({
      severity: 'error',
      code: databases.length === 0 ? 'E_SEED_NO_DATABASE' : 'E_SEED_AMBIGUOUS',
      file: folder.seeds[0]!.path,
      message:
        databases.length === 0
          ? `${folder.dir}/ holds seeds but ${env.name} has no database (${env.file})`
          : `${folder.dir}/ holds seeds, but ${env.name} has ${databases.length} databases (${databases.map((d) => d.binding).join(', ')}): which one gets them is not said`,
      hint:
        databases.length === 0
          ? `add the database to ${env.file}, or remove ${folder.dir}/`
          : `move the files into a folder per database: ${databases.map((d) => `${folder.dir}/${d.binding}/`).join(' or ')}`,
    });
  }
}

function placePerDatabase(folder: SeedFolder, readers: readonly { env: LoadedEnvironment; databases: readonly EnvironmentDatabase[] }[], layout: SeedLayout, problems: Problem[]): void {
  const binding = folder.binding!;
  const fed = readers.filter((r) => r.databases.some((d) => d.binding === binding));
  if (fed.length === 0) {
    const known = [...new Set(readers.flatMap((r) => r.databases.map((d) => d.binding)))];
    problems.push({
      severity: 'error',
      code: 'E_SEED_UNKNOWN_BINDING',
      file: folder.dir,
      message: `${folder.dir}/ is named after no database of ${folder.scope === ALL_SEEDS ? 'any environment' : folder.scope}`,
      hint: known.length > 0 ? `name the folder after a binding: ${known.map((b) => `${SEEDS_DIR}/${folder.scope}/${b}/`).join(', ')}` : `${folder.scope === ALL_SEEDS ? 'no environment' : folder.scope} has a database; remove ${folder.dir}/`,
    });
    return;
  }
  for (const { env } of fed) layout.get(env.name)!.get(binding)!.push(...folder.seeds);
}
