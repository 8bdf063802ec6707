/**
 * The embedded target: one Miniflare instance per environment, its D1 state
 * persisted in the environment's own folder. Miniflare is imported lazily so
 * commands that never touch a database (help, validate, new) start fast.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Miniflare } from 'miniflare';
import type { LocalEnvironment, LocalDatabase } from '../../config/schema.js';
import { D1QueryError } from '../../errors.js';
import { d1DatabasesOf, readWranglerConfig } from '../../wrangler/wrangler-config.js';
import type { D1Connection, ScratchDatabase, SqlStatement, StatementResult } from '../d1-connection.js';
import { ADMIN_WORKER_SOURCE } from './admin-worker.js';

const ADMIN_URL = 'http://promote.admin';
/** The admin worker needs nothing recent; pinned so workerd never warns about the date. */
const ADMIN_COMPATIBILITY_DATE = '2026-04-01';

export interface LocalEnvironmentPaths {
  /** Folder Miniflare persists into (state/, like wrangler's .wrangler/state/v3). */
  state: string;
  d1Persist: string;
}

export function localEnvironmentPaths(root: string, name: string, env: LocalEnvironment): LocalEnvironmentPaths {
  const state = resolve(root, env.state ?? join('.promote', 'envs', name));
  return { state, d1Persist: join(state, 'd1') };
}

/**
 * The id Miniflare persists a database under. Using the wrangler config's id
 * (preview id first, as `wrangler --local` does) is what lets an environment
 * whose state points at .wrangler/state/v3 share wrangler's own local database.
 */
export function localDatabaseId(root: string, db: LocalDatabase): string {
  if (db.database_id) return db.database_id;
  const wrangler = readWranglerConfig(root);
  const match = wrangler && d1DatabasesOf(wrangler).find((d) => d.binding === db.binding);
  return match?.preview_database_id ?? match?.database_id ?? db.binding;
}

/** True when the environment has never been created: nothing to read, nothing to start. */
export function localStateExists(paths: LocalEnvironmentPaths): boolean {
  return existsSync(paths.d1Persist);
}

export class LocalEnvironmentRuntime {
  private constructor(
    readonly name: string,
    private readonly mf: Miniflare,
  ) {}

  static async start(root: string, name: string, env: LocalEnvironment): Promise<LocalEnvironmentRuntime> {
    const { Miniflare, Log, LogLevel } = await import('miniflare');
    const paths = localEnvironmentPaths(root, name, env);
    const d1Databases: Record<string, string> = {};
    for (const db of env.databases) {
      d1Databases[`D_${db.binding}`] = localDatabaseId(root, db);
      d1Databases[`S_${db.binding}`] = `promote-preflight-${db.binding}`;
    }
    const mf = new Miniflare({
      log: new Log(LogLevel.WARN),
      host: '127.0.0.1',
      port: 0,
      d1Persist: paths.d1Persist,
      // Never reach out for the real Request.cf object: the local target works offline.
      cf: false,
      workers: [
        {
          name: 'promote-admin',
          modules: true,
          script: ADMIN_WORKER_SOURCE,
          compatibilityDate: ADMIN_COMPATIBILITY_DATE,
          d1Databases,
        },
      ],
    });
    await mf.ready;
    return new LocalEnvironmentRuntime(name, mf);
  }

  database(binding: string): D1Connection {
    return new LocalD1Connection(this.mf, `${this.name}/${binding}`, binding, false);
  }

  scratch(binding: string): ScratchDatabase {
    return new LocalD1Connection(this.mf, `${this.name}/${binding} (preflight scratch)`, binding, true);
  }

  async dispose(): Promise<void> {
    await this.mf.dispose();
  }
}

interface AdminResponse {
  success: boolean;
  result?: StatementResult[];
  errors?: { code: number; message: string; index?: number }[];
}

class LocalD1Connection implements ScratchDatabase {
  constructor(
    private readonly mf: Miniflare,
    readonly label: string,
    private readonly binding: string,
    private readonly isScratch: boolean,
  ) {}

  async batch(statements: readonly SqlStatement[]): Promise<StatementResult[]> {
    if (statements.length === 0) return [];
    return (await this.post('/batch', { statements, scratch: this.isScratch })) ?? [];
  }

  async reset(schema: readonly string[]): Promise<void> {
    if (!this.isScratch) throw new Error('reset() is only for scratch databases');
    await this.post('/reset', { schema });
  }

  private async post(path: string, body: unknown): Promise<StatementResult[] | undefined> {
    const res = await this.mf.dispatchFetch(`${ADMIN_URL}${path}?db=${encodeURIComponent(this.binding)}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const json = (await res.json()) as AdminResponse;
    if (!json.success) {
      const err = json.errors?.[0];
      throw new D1QueryError(err?.message ?? `HTTP ${res.status}`, err?.index, err?.code);
    }
    return json.result;
  }
}
