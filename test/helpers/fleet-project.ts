/** A local project whose one environment's DB binding is a fleet of N tenants, and a reader of every tenant's ledger. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentSchema } from '../../src/config/schema.js';
import { LocalEnvironmentRuntime } from '../../src/targets/local/local-environment.js';
import { HEALTHY_WORKER, migrationFiles } from './promotion-project.js';

export const tenantIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `t-${String(i + 1).padStart(4, '0')}`);

export interface FleetProjectOptions {
  tenants: number;
  migrations?: number;
  canary?: string;
  concurrency?: number;
  maxFailures?: number;
  /** Pipeline's rollback.database (default none: a failed tenant leaves the others migrated). */
  rollback?: 'none' | 'time-travel' | 'down-migrations' | 'auto';
  bookmark?: boolean;
  health?: boolean;
}

export function fleetFiles(o: FleetProjectOptions): Record<string, string> {
  const fleet = [
    '    fleet:',
    '      source: tenants.txt',
    ...(o.canary ? [`      canary: ${o.canary}`] : []),
    ...(o.concurrency ? [`      concurrency: ${o.concurrency}`] : []),
    ...(o.maxFailures !== undefined ? [`      maxFailures: ${o.maxFailures}`] : []),
  ].join('\n');
  const health = o.health === false ? '' : `worker:
  main: app/worker.js
health:
  - url: /health
    timeout: 2s
    retries: 0
    expect:
      status: 200
      json:
        ok: true
`;
  return {
    'pipeline/pipeline.yaml': `name: fleet
stages:
  - environment: production${o.bookmark ? '\n    bookmark: true' : ''}
rollback:
  database: ${o.rollback ?? 'none'}
`,
    'environments/production.yaml': `target: local
databases:
  - binding: DB
${fleet}
${health}`,
    'tenants.txt': `${tenantIds(o.tenants).join('\n')}\n`,
    'app/worker.js': HEALTHY_WORKER,
    ...migrationFiles(o.migrations ?? 3),
  };
}

/** One Miniflare start: each tenant's ledger names (in id order) and its count of each t<i> table's seed rows. */
export async function readTenants(root: string, tenants: readonly string[], envName = 'production'): Promise<Map<string, { ledger: string[]; tables: string[] }>> {
  const { parse } = await import('yaml');
  const config = EnvironmentSchema.parse(parse(readFileSync(join(root, 'environments', `${envName}.yaml`), 'utf8')));
  if (config.target !== 'local') throw new Error('local environments only');
  const runtime = await LocalEnvironmentRuntime.start(root, envName, config);
  const out = new Map<string, { ledger: string[]; tables: string[] }>();
  try {
    for (const t of tenants) {
      const conn = runtime.tenant('DB', t);
      const [tables] = await conn.batch([{ sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name" }]);
      const names = (tables?.results ?? []).map((r) => String(r.name));
      const ledger = names.includes('d1_migrations') ? ((await conn.batch([{ sql: 'SELECT name FROM d1_migrations ORDER BY id' }]))[0]?.results ?? []).map((r) => String(r.name)) : [];
      out.set(t, { ledger, tables: names });
    }
  } finally {
    await runtime.dispose();
  }
  return out;
}

/** Runs SQL in one tenant's database, as a hand-made change the fleet does not know about. */
export async function execTenant(root: string, tenant: string, sql: string, envName = 'production'): Promise<void> {
  const { parse } = await import('yaml');
  const config = EnvironmentSchema.parse(parse(readFileSync(join(root, 'environments', `${envName}.yaml`), 'utf8')));
  if (config.target !== 'local') throw new Error('local environments only');
  const runtime = await LocalEnvironmentRuntime.start(root, envName, config);
  try {
    await runtime.tenant('DB', tenant).batch([{ sql }]);
  } finally {
    await runtime.dispose();
  }
}

/** Journal events of every run (or the newest run only), in order. */
export function journalEvents(root: string, which: 'all' | 'last' = 'all'): Record<string, unknown>[] {
  const runs = join(root, '.promote', 'runs');
  const all = readdirSync(runs).filter((n) => n.startsWith('r-')).sort();
  const ids = which === 'last' ? all.slice(-1) : all;
  return ids.flatMap((id) =>
    readFileSync(join(runs, id, 'journal.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}
