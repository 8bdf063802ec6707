/**
 * Which D1 databases an environment has, whatever its target: binding, the
 * migrations folder and the ledger table. For local environments this is the
 * environment file; for cloudflare ones the user's wrangler config
 * (env.<name>.d1_databases), never copied into our files.
 */
import type { LoadedEnvironment } from './schema.js';
import { InvalidInputError } from '../errors.js';
import { d1DatabasesOf, readWranglerConfig } from '../wrangler/wrangler-config.js';

export interface EnvironmentDatabase {
  binding: string;
  /** Relative to the project root. */
  migrationsDir: string;
  ledgerTable: string;
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
  return d1DatabasesOf(wrangler, config.wrangler.env).map((d) => ({
    binding: d.binding,
    migrationsDir: trimSlashes(d.migrations_dir ?? 'migrations'),
    ledgerTable: d.migrations_table ?? 'd1_migrations',
  }));
}

function trimSlashes(dir: string): string {
  return dir.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '') || '.';
}
