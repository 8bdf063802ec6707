/**
 * `${VAR}` expansion in string values, applied to the parsed data before validation.
 * Keys are never expanded (they are the schema), and the text as written is kept per
 * path so later messages can show `${API_TOKEN}` rather than the token itself.
 */
import { parse as parseYamlScalar } from 'yaml';
import type { Problem } from '../problems.js';
import { formatKeyPath, keyPathId, type KeyPath } from './key-path.js';

export type EnvVars = Readonly<Record<string, string | undefined>>;

export interface InterpolationContext {
  file: string;
  env: EnvVars;
  lineOf?: (path: KeyPath) => number | undefined;
  /**
   * Whether the value at `path` was an unquoted YAML scalar. Such a value that is
   * one whole `${VAR}` is typed like YAML would type it (port: ${PORT} -> number);
   * a quoted one stays a string.
   */
  isPlainScalar?: (path: KeyPath) => boolean;
}

export interface Interpolation {
  value: unknown;
  problems: Problem[];
  /** Path id (keyPathId) -> the string as written, for every value that contained `${`. */
  written: Map<string, string>;
  /** Path ids whose value could not be expanded; validating them would only add noise. */
  unresolved: Set<string>;
  /** Which variable went into which key path, in file order: what credential-rules.ts judges. */
  uses: VariableUse[];
}

/** One `${NAME}` (or `${NAME:-default}`) written at a key path, whether or not NAME is set. */
export interface VariableUse {
  path: KeyPath;
  name: string;
}

// $${ is the escape; ${NAME} or ${NAME:-default}; a lone `${` that matches neither is an error.
const TOKEN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

export type ExpandResult = { value: string } | { unset: string[]; malformed: boolean };

/** Expand one string. `${VAR:-d}` uses `d` when VAR is unset or empty, as in POSIX shells. */
export function expandString(text: string, env: EnvVars): ExpandResult {
  const unset: string[] = [];
  let malformed = false;
  const value = text.replace(TOKEN, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      malformed = true;
      return match;
    }
    const set = env[name];
    if (set !== undefined && set !== '') return set;
    if (fallback !== undefined) return fallback;
    if (set === '') return '';
    unset.push(name);
    return match;
  });
  return unset.length > 0 || malformed ? { unset, malformed } : { value };
}

/** Every variable name referenced in `text` (escaped `$${` excluded), in order, each once. */
export function variablesIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(TOKEN)) if (m[1] !== undefined) names.add(m[1]);
  return [...names];
}

const WHOLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

export function interpolate(value: unknown, ctx: InterpolationContext): Interpolation {
  const out: Interpolation = { value: undefined, problems: [], written: new Map(), unresolved: new Set(), uses: [] };
  out.value = walk(value, [], ctx, out);
  return out;
}

function walk(value: unknown, path: (string | number)[], ctx: InterpolationContext, out: Interpolation): unknown {
  if (typeof value === 'string') return expandAt(value, path, ctx, out);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i], ctx, out));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], ctx, out)]));
  }
  return value;
}

function expandAt(text: string, path: KeyPath, ctx: InterpolationContext, out: Interpolation): unknown {
  if (!text.includes('${')) return text;
  const id = keyPathId(path);
  out.written.set(id, text);
  for (const name of variablesIn(text)) out.uses.push({ path, name });
  const result = expandString(text, ctx.env);
  const line = ctx.lineOf?.(path);
  const where = formatKeyPath(path);
  if ('unset' in result) {
    out.unresolved.add(id);
    for (const name of result.unset) {
      out.problems.push({
        severity: 'error',
        code: 'E_CONFIG_UNSET_VARIABLE',
        file: ctx.file,
        line,
        message: `${where}: \${${name}} is not set`,
        hint: `set ${name} in the environment or write \${${name}:-default}`,
      });
    }
    if (result.malformed) {
      out.problems.push({
        severity: 'error',
        code: 'E_CONFIG_BAD_INTERPOLATION',
        file: ctx.file,
        line,
        message: `${where}: "\${" must be followed by a variable name and "}", as in \${NAME} or \${NAME:-default}`,
        hint: 'write $${ for a literal ${',
      });
    }
    return text;
  }
  if (WHOLE.test(text) && ctx.isPlainScalar?.(path)) return typeLikeYaml(result.value);
  return result.value;
}

/** Only numbers and booleans are retyped: a variable that happens to hold YAML must not inject structure. */
function typeLikeYaml(text: string): unknown {
  try {
    const typed: unknown = parseYamlScalar(text);
    return typeof typed === 'number' || typeof typed === 'boolean' ? typed : text;
  } catch {
    return text;
  }
}
