/**
 * Which D1 databases an environment has, whatever its target: binding, the
 * migrations folder and the ledger table. For local environments this is the
 * environment file; for cloudflare ones the user's wrangler config
 * (env.<name>.d1_databases), never copied into our files.
 */
import type { FleetConfig, LoadedEnvironment } from './schema.js';
import { InvalidInputError } from '../errors.js';
import { posix } from 'node:path';
import { d1DatabasesOf, readWranglerConfig } from '../wrangler/wrangler-config.js';

export interface EnvironmentDatabase {
  binding: string;
  /** Relative to the project root. */
  migrationsDir: string;
  /** wrangler's migrations_pattern made relative to migrationsDir (e.g. `*\/migration.sql`); absent: `*.sql`. */
  migrationsPattern?: string;
  ledgerTable: string;
  /** Cloudflare only: how migrations reach the database (see migrations/transport.ts). */
  transport?: 'auto' | 'query' | 'import';
  /** Present when this binding is a fleet of tenant databases (they share the folder and ledger table). */
  fleet?: FleetConfig;
}

export function environmentDatabases(root: string, env: LoadedEnvironment): EnvironmentDatabase[] {
  const config = env.config;
  if (config.target === 'local') {
    return config.databases.map((d) => {
      const migrationsDir = trimSlashes(d.migrations);
      const pattern = d.migrations_pattern === undefined ? undefined : patternUnder(d.migrations_pattern, migrationsDir, env.file, 'migrations');
      return { binding: d.binding, migrationsDir, ...(pattern ? { migrationsPattern: pattern } : {}), ledgerTable: d.migrations_table, ...(d.fleet ? { fleet: d.fleet } : {}) };
    });
  }
  const wrangler = readWranglerConfig(root, config.wrangler.config);
  if (!wrangler) {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_WRANGLER_CONFIG_MISSING',
        file: env.file,
        message: `target cloudflare needs a wrangler config, and none was found (${config.wrangler.config ?? 'wrangler.jsonc, wrangler.json, wrangler.toml'})`,
        hint: 'create wrangler.jsonc with env.<name>.d1_databases, or set wrangler.config to its path',
      },
    ]);
  }
  const databases = d1DatabasesOf(wrangler, config.wrangler.env);
  const unknown = config.databases.filter((s) => !databases.some((d) => d.binding === s.binding));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      unknown.map((s) => ({
        severity: 'error' as const,
        code: 'E_CONFIG_UNKNOWN_BINDING',
        file: env.file,
        message: `databases names binding ${s.binding}, which env.${config.wrangler.env}.d1_databases of ${wrangler.file} does not have`,
        hint: `use one of: ${databases.map((d) => d.binding).join(', ') || '(none)'}`,
      })),
    );
  }
  return databases.map((d) => {
    const migrationsDir = trimSlashes(d.migrations_dir ?? 'migrations');
    if (d.migrations_pattern !== undefined && d.migrations_dir === undefined) {
      throw new InvalidInputError([
        {
          severity: 'error',
          code: 'E_MIGRATIONS_PATTERN',
          file: wrangler.file,
          message: `d1 binding ${d.binding} sets migrations_pattern "${d.migrations_pattern}" without migrations_dir`,
          hint: 'add "migrations_dir" (e.g. "migrations"): wrangler refuses migrations_pattern without it too',
        },
      ]);
    }
    const pattern = d.migrations_pattern === undefined ? undefined : patternUnder(d.migrations_pattern, migrationsDir, wrangler.file, 'migrations_dir');
    const setting = config.databases.find((s) => s.binding === d.binding);
    const transport = setting?.transport ?? 'auto';
    return { binding: d.binding, migrationsDir, ...(pattern ? { migrationsPattern: pattern } : {}), ledgerTable: d.migrations_table ?? 'd1_migrations', transport, ...(setting?.fleet ? { fleet: setting.fleet } : {}) };
  });
}

/**
 * wrangler's rule: the pattern must start with `${migrations_dir}/`, so a migration's name (its path
 * relative to migrations_dir) is well defined. Returns the pattern relative to the folder; undefined for
 * the default `*.sql`.
 */
function patternUnder(raw: string, dir: string, file: string, dirKey: string): string | undefined {
  const pattern = posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '');
  const relative = dir === '.' ? pattern : pattern.startsWith(`${dir}/`) ? pattern.slice(dir.length + 1) : undefined;
  if (relative === undefined || relative === '') {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_MIGRATIONS_PATTERN',
        file,
        message: `migrations_pattern "${raw}" must start with ${dir}/ (the ${dirKey})`,
        hint: `write it under the folder, e.g. "${dir}/*/migration.sql" for drizzle-kit's folder per migration, or change ${dirKey}`,
      },
    ]);
  }
  return relative === '*.sql' ? undefined : relative;
}

function trimSlashes(dir: string): string {
  return dir.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '') || '.';
}

/** A fleet binding's entry (EnvironmentDatabase with its fleet set). */
export type EnvironmentFleet = EnvironmentDatabase & { fleet: FleetConfig };

export function isFleet(d: EnvironmentDatabase): d is EnvironmentFleet {
  return d.fleet !== undefined;
}
