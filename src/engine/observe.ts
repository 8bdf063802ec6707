/**
 * Reads what each database of an environment has applied and plans it against
 * the files. Read-only: a local environment that was never created is
 * reported as all-pending without starting anything.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import { withSignal } from '../d1/with-signal.js';
import type { ApplyContext } from '../ledger/apply.js';
import { checkSchema } from '../ledger/expected-schema.js';
import type { SchemaCheck } from '../schema/schema-drift.js';
import { readDatabaseState, type DatabaseState, type LedgerRow } from '../ledger/ledger.js';
import { planDatabase, type DatabasePlan } from '../migrations/plan.js';
import { planSeeds, type SeedPlan } from '../migrations/seed-plan.js';
import type { Migration, Seed } from '../migrations/types.js';
import type { EnvironmentHandle } from '../targets/environment-handle.js';
import { localEnvironmentPaths, localStateExists } from '../targets/local/local-environment.js';
import { openEnvironment } from './open-environment.js';
import type { EnvironmentDatabase } from '../config/environment-databases.js';
import type { EngineSettings } from './engine-settings.js';
import type { Workspace } from './load-workspace.js';

export interface ObservedDatabase extends EnvironmentDatabase {
  migrations: Migration[];
  state: DatabaseState;
  plan: DatabasePlan;
  /** The seeds meant for this database (seeds/all/, then seeds/<env>/). */
  seeds: Seed[];
  seedPlan: SeedPlan;
  /** Live schema against the replay of its applied migrations; absent when not asked for (`schema: false`). */
  schema?: SchemaCheck;
  /** Whether the check replayed the migrations, found the replay cached, or had nothing to replay. */
  schemaReplay?: 'replayed' | 'cached' | 'none';
}

export interface ObserveOptions {
  /** Also compare each database's live schema with its migrations' (schema drift). */
  schema?: boolean;
}

export interface ObservedEnvironment {
  env: LoadedEnvironment;
  databases: ObservedDatabase[];
  /** Present when the environment was opened (or `start` was asked for); the caller disposes it. */
  handle?: EnvironmentHandle;
  /** What the reader should know about how it was read (e.g. from a copy, while another process holds it). */
  note?: string;
}

const EMPTY_STATE: DatabaseState = { ledger: [], meta: new Map(), schema: [], seeds: [], foreign: [] };

export async function observeEnvironment(
  ws: Workspace,
  env: LoadedEnvironment,
  opts: { start: boolean; settings: EngineSettings; readOnly?: boolean } & ObserveOptions,
): Promise<ObservedEnvironment> {
  const config = env.config;
  if (config.target === 'local' && !opts.start && !localStateExists(localEnvironmentPaths(ws.project.root, env.name, config))) {
    return {
      env,
      // A fleet's tenants are read by `promote status` per tenant (fleet-status.ts), not as one database.
      databases: ws.databasesOf(env).filter((d) => !d.fleet).map((d) => {
        const migrations = ws.migrations.get(d.migrationsDir) ?? [];
        // Never created: nothing was changed by hand either.
        const schema = opts.schema ? { schema: { status: 'matches' } as const, schemaReplay: 'none' as const } : {};
        const seeds = ws.seedsOf(env, d.binding);
        return { ...d, migrations, state: EMPTY_STATE, plan: planDatabase(migrations, { ...EMPTY_STATE, retired: ws.retired.get(d.migrationsDir) ?? new Set() }), seeds, seedPlan: planSeeds(seeds, []), ...schema };
      }),
    };
  }
  const { handle } = await openEnvironment(ws, env, opts.settings, opts.readOnly);
  try {
    return { env, databases: await observeHandle(ws, handle, undefined, opts), handle, ...(handle.note ? { note: handle.note } : {}) };
  } catch (e) {
    await handle.dispose();
    throw e;
  }
}

/** Observes and closes: for read-only commands. */
export async function observeAndClose(ws: Workspace, env: LoadedEnvironment, settings: EngineSettings, opts: ObserveOptions = {}): Promise<ObservedEnvironment> {
  const o = await observeEnvironment(ws, env, { start: false, settings, readOnly: true, ...opts });
  await o.handle?.dispose();
  const { handle: _closed, ...rest } = o;
  return rest;
}

/** Reads ledger and schema of every database of an opened environment and plans it. */
export async function observeHandle(ws: Workspace, handle: EnvironmentHandle, signal?: AbortSignal, opts: ObserveOptions = {}): Promise<ObservedDatabase[]> {
  const out: ObservedDatabase[] = [];
  for (const d of handle.databases) {
    const migrations = ws.migrations.get(d.migrationsDir) ?? [];
    const retired = ws.retired.get(d.migrationsDir) ?? new Set<string>();
    const state = await readDatabaseState(withSignal(d.conn, signal), d.ledgerTable);
    const checked = opts.schema
      ? await checkSchema({
          conn: d.conn,
          scratch: () => d.scratch(),
          ledgerTable: d.ledgerTable,
          migrations,
          retired,
          state,
          ignore: ws.project.pipeline.migrations.schemaIgnore,
          root: ws.project.root,
          ...(signal ? { signal } : {}),
        })
      : undefined;
    const seeds = ws.seedsOf(handle.env, d.binding);
    out.push({
      binding: d.binding,
      ledgerTable: d.ledgerTable,
      migrationsDir: d.migrationsDir,
      ...(d.transport ? { transport: d.transport } : {}),
      migrations,
      state,
      plan: planDatabase(migrations, { ...state, retired }),
      ...(checked ? { schema: checked.check, schemaReplay: checked.replay } : {}),
      seeds,
      seedPlan: planSeeds(seeds, state.seeds),
    });
  }
  return out;
}

export function applyContextFor(d: ObservedDatabase, runId: string): ApplyContext {
  return {
    ledgerTable: d.ledgerTable,
    runId,
    adopt: d.plan.adoptable.map((m) => ({ migration: m, ledger: d.state.ledger.find((r: LedgerRow) => r.name === m.name) })),
  };
}
