/**
 * Reads what each database of an environment has applied and plans it against
 * the files. Read-only: an environment that was never created is reported as
 * all-pending without starting anything.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { readDatabaseState, type DatabaseState } from '../ledger/ledger.js';
import { planDatabase, type DatabasePlan } from '../migrations/plan.js';
import type { Migration } from '../migrations/types.js';
import { LocalEnvironmentRuntime, localEnvironmentPaths, localStateExists } from '../targets/local/local-environment.js';
import type { EnvironmentDatabase } from './environment-databases.js';
import type { Workspace } from './load-workspace.js';

export interface ObservedDatabase extends EnvironmentDatabase {
  migrations: Migration[];
  state: DatabaseState;
  plan: DatabasePlan;
}

export interface ObservedEnvironment {
  env: LoadedEnvironment;
  databases: ObservedDatabase[];
  /** Present when the environment was started (or `start` was asked for). */
  runtime?: LocalEnvironmentRuntime;
}

const EMPTY_STATE: DatabaseState = { ledger: [], meta: new Map(), schema: [] };

export async function observeEnvironment(
  ws: Workspace,
  env: LoadedEnvironment,
  opts: { start: boolean; runtime?: LocalEnvironmentRuntime },
): Promise<ObservedEnvironment> {
  const config = env.config;
  if (config.target !== 'local') {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_TARGET_UNSUPPORTED',
        file: env.file,
        line: 1,
        message: `target ${config.target} is not available in this version of promote`,
        hint: 'use target: local for now',
      },
    ]);
  }
  const databases = ws.databasesOf(env);
  const exists = localStateExists(localEnvironmentPaths(ws.project.root, env.name, config));
  const runtime =
    opts.runtime ?? (opts.start || exists ? await LocalEnvironmentRuntime.start(ws.project.root, env.name, config) : undefined);
  try {
    const observed: ObservedDatabase[] = [];
    for (const db of databases) {
      const migrations = ws.migrations.get(db.migrationsDir) ?? [];
      const state = runtime ? await readDatabaseState(runtime.database(db.binding), db.ledgerTable) : EMPTY_STATE;
      observed.push({ ...db, migrations, state, plan: planDatabase(migrations, state) });
    }
    return { env, databases: observed, ...(runtime ? { runtime } : {}) };
  } catch (e) {
    if (!opts.runtime) await runtime?.dispose();
    throw e;
  }
}
