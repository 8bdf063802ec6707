/**
 * Reads a project's declarative config: pipeline/pipeline.yaml and every
 * environments/<name>.yaml. All problems from all files are collected and thrown
 * together, so one run shows everything to fix. No I/O beyond reading these files.
 *
 * Only `.yaml` is read. A `.yml` file is an error telling the user to rename it:
 * the file name is the environment's name, and two spellings of one name would
 * make "which file is staging?" ambiguous.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { isError, sortProblems, type Problem } from '../problems.js';
import { readConfigFile, type ConfigFile } from './config-file.js';
import { checkCredentialUses, checkSlackApiUrl, writtenSecrets, type InterpolatedFile } from './credential-rules.js';
import type { EnvVars } from './interpolate.js';
import type { Environment, LoadedEnvironment, Pipeline, Project, Stage } from './schema.js';
import { checkStages } from './stage-rules.js';
import { checkFleetSources } from './fleet-source.js';
import { validateEnvironment, validatePipeline } from './validate.js';

export const PIPELINE_FILE = 'pipeline/pipeline.yaml';
export const ENVIRONMENTS_DIR = 'environments';
const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

export const environmentFile = (name: string): string => `${ENVIRONMENTS_DIR}/${name}.yaml`;

export interface LoadOptions {
  /** Variables for ${VAR} expansion (the CLI passes the process environment). */
  env: NodeJS.ProcessEnv | EnvVars;
}

/** What reading the config found, whether or not it is valid. */
export interface ProjectRead {
  /** Absolute path of the project root. */
  root: string;
  /** The project, when no file has an error. */
  project?: Project;
  /** Every problem of every config file, errors and warnings, sorted. */
  problems: Problem[];
  /** pipeline/pipeline.yaml as read (value, or data and problems); absent when there is none. */
  pipeline?: ConfigFile<Pipeline>;
  /** Every environments/<name>.yaml with a valid name, as read, valid or not. */
  environmentFiles: { name: string; file: ConfigFile<Environment> }[];
}

/** Reads and validates the config and throws InvalidInputError with every problem when any is an error. */
export async function loadProject(root: string, opts: LoadOptions): Promise<{ project: Project; warnings: Problem[] }> {
  const read = await readProject(root, opts);
  if (!read.project) throw new InvalidInputError(read.problems);
  return { project: read.project, warnings: read.problems };
}

/**
 * Like loadProject, but never throws for the user's mistakes: callers that check more
 * than the config (load-workspace.ts lints migrations too) can report everything in one run.
 */
export async function readProject(root: string, opts: LoadOptions): Promise<ProjectRead> {
  const absRoot = path.resolve(root);
  const env = opts.env;
  const problems: Problem[] = [];

  const [pipelineEntries, envEntries] = await Promise.all([
    listFiles(path.join(absRoot, 'pipeline')),
    listFiles(path.join(absRoot, ENVIRONMENTS_DIR)),
  ]);

  let pipeline: ConfigFile<Pipeline> | undefined;
  if (pipelineEntries.includes('pipeline.yaml')) {
    pipeline = await readConfigFile(path.join(absRoot, PIPELINE_FILE), PIPELINE_FILE, env, validatePipeline);
    problems.push(...pipeline.problems);
  } else if (pipelineEntries.includes('pipeline.yml')) {
    problems.push(renameYml('pipeline/pipeline.yml'));
  } else {
    problems.push({
      severity: 'error',
      code: 'E_CONFIG_NO_PIPELINE',
      file: PIPELINE_FILE,
      message: `no ${PIPELINE_FILE} in ${absRoot}: create it or pass --cwd <project dir>`,
      hint: `create ${PIPELINE_FILE} or pass --cwd <project dir>`,
    });
  }

  const names: string[] = [];
  const misnamed: string[] = [];
  for (const entry of envEntries) {
    const ext = path.extname(entry);
    const name = entry.slice(0, -ext.length);
    if (ext === '.yml') {
      problems.push(renameYml(`${ENVIRONMENTS_DIR}/${entry}`));
      misnamed.push(name);
    } else if (ext !== '.yaml') {
      continue; // READMEs and editor files live here too.
    } else if (!ENVIRONMENT_NAME.test(name)) {
      problems.push({
        severity: 'error',
        code: 'E_CONFIG_ENVIRONMENT_NAME',
        file: `${ENVIRONMENTS_DIR}/${entry}`,
        message: `'${name}' cannot be an environment name: expected lower-case letters, digits, - or _`,
        hint: 'rename the file: its name is how stages refer to the environment',
      });
    } else names.push(name);
  }

  const envFiles = await Promise.all(
    names.map((name) => readConfigFile(path.join(absRoot, environmentFile(name)), environmentFile(name), env, validateEnvironment)),
  );
  for (const f of envFiles) problems.push(...f.problems);
  for (const f of envFiles) problems.push(...(await checkFleetSources(absRoot, f)));

  problems.push(...checkCredentialUses(interpolatedFiles(pipeline, envFiles), env));
  if (pipeline) problems.push(...checkSlackApiUrl(pipeline.file, pipeline.data, pipeline.lineOf));

  const stages = pipeline ? stagesOf(pipeline) : undefined;
  if (pipeline && stages) {
    problems.push(
      ...checkStages({
        pipelineFile: PIPELINE_FILE,
        stages,
        lineOf: pipeline.lineOf,
        environmentNames: names,
        misnamedEnvironments: misnamed,
        environmentFile,
      }),
    );
  }

  const sorted = sortProblems(problems);
  const environmentFiles = names.map((name, i) => ({ name, file: envFiles[i]! }));
  const read: ProjectRead = {
    root: absRoot,
    problems: sorted,
    environmentFiles,
    ...(pipeline ? { pipeline } : {}),
  };
  if (sorted.some(isError) || !pipeline?.value) return read;

  const environments = new Map<string, LoadedEnvironment>();
  names.forEach((name, i) => {
    environments.set(name, { name, file: environmentFile(name), config: envFiles[i]!.value as Environment });
  });
  return { ...read, project: { root: absRoot, pipelineFile: PIPELINE_FILE, pipeline: pipeline.value, environments } };
}

/** What credential-rules.ts judges: every file whose YAML parsed, valid or not (a misplaced credential is reported either way). */
function interpolatedFiles(pipeline: ConfigFile<Pipeline> | undefined, envFiles: readonly ConfigFile<Environment>[]): InterpolatedFile[] {
  const files: InterpolatedFile[] = [];
  if (pipeline?.uses) files.push({ file: pipeline.file, role: 'pipeline', uses: pipeline.uses, ...(pipeline.lineOf ? { lineOf: pipeline.lineOf } : {}) });
  for (const f of envFiles) {
    if (!f.uses) continue;
    files.push({ file: f.file, role: 'environment', uses: f.uses, secrets: writtenSecrets(f.data), ...(f.lineOf ? { lineOf: f.lineOf } : {}) });
  }
  return files;
}

/** Stages from the validated pipeline, or from the raw data when another key is wrong, so stage mistakes still show. */
function stagesOf(file: ConfigFile<Pipeline>): Stage[] | undefined {
  if (file.value) return file.value.stages;
  const raw = (file.data as { stages?: unknown } | undefined)?.stages;
  if (!Array.isArray(raw)) return undefined;
  const stages = raw.map((s: unknown) => (s as { environment?: unknown } | null)?.environment);
  // Only when every stage names an environment; otherwise positions would not match what zod reported.
  return stages.every((e) => typeof e === 'string' && ENVIRONMENT_NAME.test(e))
    ? stages.map((environment) => ({ environment: environment as string, bookmark: false, backup: false }))
    : undefined;
}

function renameYml(file: string): Problem {
  return {
    severity: 'error',
    code: 'E_CONFIG_YML_EXTENSION',
    file,
    message: 'config files must end in .yaml; .yml is not read',
    hint: `rename it to ${file.replace(/\.yml$/, '.yaml')}`,
  };
}

/**
 * Plain files in a folder, sorted; a missing folder is simply empty (reported by the rules that need it).
 * A folder named like a config file (environments/dev.yaml/) is listed too, so reading it reports
 * "is a folder" instead of the file seeming not to exist.
 */
async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink() || (e.isDirectory() && /\.ya?ml$/.test(e.name))) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
