/**
 * Reads the user's wrangler config (wrangler.jsonc, wrangler.json or
 * wrangler.toml), the single source of truth for database ids and names: we
 * never copy them into our own files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { InvalidInputError } from '../errors.js';

export const WRANGLER_CONFIG_FILES = ['wrangler.jsonc', 'wrangler.json', 'wrangler.toml'] as const;

export interface WranglerD1Database {
  binding: string;
  database_name?: string;
  database_id?: string;
  preview_database_id?: string;
  migrations_dir?: string;
  /** wrangler 4.98+: a glob under migrations_dir, e.g. "migrations/*\/migration.sql" (drizzle-kit). */
  migrations_pattern?: string;
  migrations_table?: string;
}

export interface WranglerConfig {
  /** Relative to the project root. */
  file: string;
  name?: string;
  account_id?: string;
  main?: string;
  d1_databases?: WranglerD1Database[];
  env?: Record<string, { name?: string; d1_databases?: WranglerD1Database[]; [k: string]: unknown }>;
  [k: string]: unknown;
}

/** Finds the wrangler config in `root` (or the named file); undefined when there is none. */
export function findWranglerConfig(root: string, file?: string): string | undefined {
  if (file) return file;
  return WRANGLER_CONFIG_FILES.find((f) => existsSync(join(root, f)));
}

export function readWranglerConfig(root: string, file?: string): WranglerConfig | undefined {
  const found = findWranglerConfig(root, file);
  if (!found) return undefined;
  let text: string;
  try {
    text = readFileSync(join(root, found), 'utf8');
  } catch (e) {
    throw new InvalidInputError([
      { severity: 'error', code: 'E_WRANGLER_CONFIG', file: found, message: `cannot read: ${(e as Error).message}`, hint: 'check the path and permissions' },
    ]);
  }
  return { ...parseWranglerConfig(found, text), file: found };
}

/** Pure: text in, config out, or an InvalidInputError with the line of the syntax error. */
export function parseWranglerConfig(file: string, text: string): WranglerConfig {
  if (file.endsWith('.toml')) {
    try {
      return parseToml(text) as unknown as WranglerConfig;
    } catch (e) {
      const line = (e as { line?: number }).line;
      throw new InvalidInputError([
        { severity: 'error', code: 'E_WRANGLER_CONFIG', file, line, message: `invalid TOML: ${(e as Error).message.split('\n')[0]}`, hint: 'fix the syntax; wrangler cannot read it either' },
      ]);
    }
  }
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || typeof value !== 'object' || value === null || Array.isArray(value)) {
    const first = errors[0];
    const line = first ? text.slice(0, first.offset).split('\n').length : undefined;
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_WRANGLER_CONFIG',
        file,
        line,
        message: first ? `invalid JSON: ${printParseErrorCode(first.error)}` : 'expected a JSON object',
        hint: 'fix the syntax; wrangler cannot read it either',
      },
    ]);
  }
  return value as WranglerConfig;
}

/** The d1_databases of one wrangler environment (named envs do not inherit them, as in wrangler). */
export function d1DatabasesOf(config: WranglerConfig, env?: string): WranglerD1Database[] {
  if (env === undefined) return config.d1_databases ?? [];
  return config.env?.[env]?.d1_databases ?? [];
}
