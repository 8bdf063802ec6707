/**
 * Reads what each database of an environment has applied and plans it against
 * the files. Read-only: a local environment that was never created is
 * reported as all-pending without starting anything.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import type { DatabaseState } from '../ledger/ledger.js';
import { planDatabase, type DatabasePlan } from '../migrations/plan.js';
import type { Migration } from '../migrations/types.js';
import type { EnvironmentHandle } from '../targets/environment-handle.js';
import { localEnvironmentPaths, localStateExists } from '../targets/local/local-environment.js';
import { openEnvironment } from '../targets/open-environment.js';
import { observeHandle } from '../targets/promotion-steps.js';
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
  /** Present when the environment was opened (or `start` was asked for); the caller disposes it. */
  handle?: EnvironmentHandle;
}

const EMPTY_STATE: DatabaseState = { ledger: [], meta: new Map(), schema: [] };

export async function observeEnvironment(
  ws: Workspace,
  env: LoadedEnvironment,
  opts: { start: boolean; processEnv?: NodeJS.ProcessEnv },
): Promise<ObservedEnvironment> {
  const config = env.config;
  if (config.target === 'local' && !opts.start && !localStateExists(localEnvironmentPaths(ws.project.root, env.name, config))) {
    return {
      env,
      databases: ws.databasesOf(env).map((d) => {
        const migrations = ws.migrations.get(d.migrationsDir) ?? [];
        return { ...d, migrations, state: EMPTY_STATE, plan: planDatabase(migrations, { ...EMPTY_STATE, retired: ws.retired.get(d.migrationsDir) ?? new Set() }) };
      }),
    };
  }
  const { handle } = await openEnvironment(ws, env, opts.processEnv ?? process.env);
  try {
    return { env, databases: await observeHandle(ws, handle), handle };
  } catch (e) {
    await handle.dispose();
    throw e;
  }
}

/** Observes and closes: for read-only commands. */
export async function observeAndClose(ws: Workspace, env: LoadedEnvironment, processEnv?: NodeJS.ProcessEnv): Promise<ObservedEnvironment> {
  const o = await observeEnvironment(ws, env, { start: false, ...(processEnv ? { processEnv } : {}) });
  await o.handle?.dispose();
  const { handle: _closed, ...rest } = o;
  return rest;
}
