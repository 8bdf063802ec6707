/**
 * Which D1 databases an environment has, whatever its target: binding, the
 * migrations folder and the ledger table. For local environments this is the
 * environment file; for cloudflare ones the user's wrangler config
 * (env.<name>.d1_databases), never copied into our files.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { d1DatabasesOf, readWranglerConfig } from '../wrangler/wrangler-config.js';

export interface EnvironmentDatabase {
  binding: string;
  /** Relative to the project root. */
  migrationsDir: string;
  ledgerTable: string;
  /** Cloudflare only: how migrations reach the database (see migrations/transport.ts). */
  transport?: 'auto' | 'query' | 'import';
}

export function environmentDatabases(root: string, env: LoadedEnvironment): EnvironmentDatabase[] {
  const config = env.config;
  if (config.target === 'local') {
    return config.databases.map((d) => ({
      binding: d.binding,
      migrationsDir: trimSlashes(d.migrations),
      ledgerTable: d.migrations_table,
    }));
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
  return databases.map((d) => ({
    binding: d.binding,
    migrationsDir: trimSlashes(d.migrations_dir ?? 'migrations'),
    ledgerTable: d.migrations_table ?? 'd1_migrations',
    transport: config.databases.find((s) => s.binding === d.binding)?.transport ?? 'auto',
  }));
}

function trimSlashes(dir: string): string {
  return dir.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '') || '.';
}
