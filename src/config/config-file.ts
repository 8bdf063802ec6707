/**
 * One config file from disk to validated value: read, decode, parse, expand ${VAR},
 * validate. Every step's problems are kept; later steps run only on what the
 * earlier ones could make sense of.
 */
import { readFile } from 'node:fs/promises';
import type { Problem } from '../problems.js';
import { interpolate, type EnvVars } from './interpolate.js';
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
    problems,
    ...(problems.length === 0 && 'value' in validated ? { value: validated.value } : {}),
  };
}
