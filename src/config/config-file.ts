/**
 * One config file from disk to validated value: read, decode, parse, expand ${VAR},
 * validate. Every step's problems are kept; later steps run only on what the
 * earlier ones could make sense of.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Problem } from '../problems.js';
import { interpolate, type EnvVars, type VariableUse } from './interpolate.js';
import type { KeyPath } from './key-path.js';
import type { Validation, ValidationContext } from './validate.js';
import { decodeConfigText, parseYamlSource } from './yaml-source.js';

export interface ConfigFile<T> {
  file: string;
  /** Undefined when any problem was found in this file. */
  value?: T;
  problems: Problem[];
  /** The data after ${VAR} expansion, before validation; lets cross-file rules run on a file with other mistakes. */
  data?: unknown;
  /** Line lookup for cross-file rules; absent when the YAML did not parse. */
  lineOf?: (path: KeyPath) => number | undefined;
  /** Every ${VAR} and the key path it was written at; absent when the YAML did not parse. */
  uses?: VariableUse[];
}

/** Config files are small; anything bigger is refused before it is read or parsed. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} bytes`;
}

type Validator<T> = (doc: unknown, file: string, ctx: ValidationContext) => Validation<T>;

export async function readConfigFile<T>(
  absolutePath: string,
  file: string,
  env: EnvVars,
  validate: Validator<T>,
): Promise<ConfigFile<T>> {
  let bytes: Uint8Array;
  try {
    // Sized before it is read: a config file is a few KB, and parsing a huge one would hang the run.
    const { size } = await stat(absolutePath);
    if (size > MAX_CONFIG_FILE_BYTES) {
      return {
        file,
        problems: [
          {
            severity: 'error',
            code: 'E_CONFIG_TOO_LARGE',
            file,
            message: `file is ${formatBytes(size)}; a config file may be at most ${formatBytes(MAX_CONFIG_FILE_BYTES)}`,
            hint: `${file} should hold a few lines of YAML: was something else saved or generated under this name?`,
          },
        ],
      };
    }
    bytes = await readFile(absolutePath);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    const hint =
      reason === 'EACCES' || reason === 'EPERM'
        ? `give your user read permission on ${file}`
        : reason === 'EISDIR'
          ? `${file} is a folder: replace it with a YAML file`
          : `check that ${file} exists and can be read, then run again`;
    return { file, problems: [{ severity: 'error', code: 'E_CONFIG_READ', file, message: `cannot read file (${reason})`, hint }] };
  }
  return parseConfigText(bytes, file, env, validate);
}

/** The same as readConfigFile, for bytes already in hand (tests, stdin). */
export function parseConfigText<T>(bytes: Uint8Array, file: string, env: EnvVars, validate: Validator<T>): ConfigFile<T> {
  const decoded = decodeConfigText(bytes, file);
  if ('problems' in decoded) return { file, problems: decoded.problems };
  const parsed = parseYamlSource(decoded.text, file);
  if ('problems' in parsed) return { file, problems: parsed.problems };

  const { source } = parsed;
  const expanded = interpolate(source.value, {
    file,
    env,
    lineOf: source.lineOf,
    isPlainScalar: source.isPlainScalar,
  });
  const validated = validate(expanded.value, file, {
    lineOf: source.lineOf,
    written: expanded.written,
    ignore: expanded.unresolved,
  });
  const problems = [...expanded.problems, ...('problems' in validated ? validated.problems : [])];
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return {
    file,
    data: expanded.value,
    lineOf: source.lineOf,
    uses: expanded.uses,
    problems,
    ...(problems.length === 0 && 'value' in validated ? { value: validated.value } : {}),
  };
}
