/**
 * What `promote status` says about a fleet: every tenant's ledger read (batched,
 * at the fleet's concurrency), and the tenants the newest run that worked on the
 * fleet left failed, from that run's journal.
 */
import { existsSync } from 'node:fs';
import type { TenantVersion } from '../fleet/version-counts.js';
import { runPool } from '../fleet/pool.js';
import { readJournal } from '../notify/journal-sink.js';
import { journalPath, listRuns } from '../runs/run-store.js';
import type { HandleFleet } from '../targets/environment-handle.js';
import type { Workspace } from './load-workspace.js';
import { observeTenant } from './fleet-stage.js';
import type { LoadedEnvironment } from '../config/schema.js';
import { readFleetTenants } from '../config/fleet-source.js';
import { localEnvironmentPaths, localStateExists } from '../targets/local/local-environment.js';
import type { EngineSettings } from './engine-settings.js';
import type { Problem } from '../problems.js';
import { openEnvironment } from './open-environment.js';

/** Every fleet of an environment, read for `promote status` (opened read-only; a local one never created is not started). */
export async function observeFleetStatus(ws: Workspace, env: LoadedEnvironment, settings: EngineSettings): Promise<ObservedFleet[]> {
  const declared = ws.databasesOf(env).filter((d) => d.fleet);
  if (declared.length === 0) return [];
  const config = env.config;
  if (config.target === 'local' && !localStateExists(localEnvironmentPaths(ws.project.root, env.name, config))) {
    const out: ObservedFleet[] = [];
    for (const d of declared) {
      const pending = (ws.migrations.get(d.migrationsDir) ?? []).map((m) => m.name);
      const tenants = await readFleetTenants(ws.project.root, d.fleet!.source!);
      out.push({ binding: d.binding, source: d.fleet!.source!, tenants: tenants.map((tenant) => ({ tenant, applied: [], pending, drift: [] })) });
    }
    return out;
  }
  const { handle } = await openEnvironment(ws, env, settings, true);
  try {
    return await observeFleets(ws, env.name, handle.fleets ?? []);
  } finally {
    await handle.dispose();
  }
}

export interface ObservedTenant extends TenantVersion {
  applied: string[];
  pending: string[];
  drift: string[];
  /** The error the newest run that worked on this fleet recorded for the tenant, when it failed there. */
  failed?: string;
}

export interface ObservedFleet {
  binding: string;
  source?: string;
  match?: string;
  tenants: ObservedTenant[];
  /** The run whose failures are shown. */
  lastRun?: string;
}

export async function observeFleets(ws: Workspace, environment: string, fleets: readonly HandleFleet[], signal?: AbortSignal): Promise<ObservedFleet[]> {
  const out: ObservedFleet[] = [];
  for (const fleet of fleets) {
    const tenants = await fleet.tenants(signal);
    const { results } = await runPool(tenants, Math.max(8, fleet.fleet.concurrency), async (tenant): Promise<ObservedTenant> => {
      const { observed, state } = await observeTenant(ws, fleet, tenant, signal);
      const version = state.ledger.at(-1)?.name;
      return {
        tenant,
        ...(version ? { version } : {}),
        applied: observed.plan.applied.map((a) => a.name),
        pending: observed.plan.pending.map((m) => m.name),
        drift: observed.plan.drift.map((d) => d.name),
      };
    });
    const last = lastFailures(ws.project.root, environment, fleet.binding);
    const list = (results as ObservedTenant[]).map((t) => {
      const error = last?.failed.get(t.tenant);
      // Failed then, and still behind now: a later fix (or a manual migrate) clears it.
      return error !== undefined && t.pending.length > 0 ? { ...t, failed: error } : t;
    });
    out.push({ binding: fleet.binding, ...(fleet.fleet.source ? { source: fleet.fleet.source } : {}), ...(fleet.fleet.match ? { match: fleet.fleet.match } : {}), tenants: list, ...(last ? { lastRun: last.runId } : {}) });
  }
  return out;
}

/** The newest run with tenant outcomes for this fleet: its failed tenants (the last outcome of each). */
function lastFailures(root: string, environment: string, binding: string): { runId: string; failed: Map<string, string> } | undefined {
  for (const runId of listRuns(root)) {
    const file = journalPath(root, runId);
    if (!existsSync(file)) continue;
    const outcomes = new Map<string, { status: string; error?: string }>();
    for (const e of readJournal(file)) {
      if (e.type === 'tenant' && e.environment === environment && e.binding === binding && e.status !== 'running') outcomes.set(e.tenant, { status: e.status, ...(e.error ? { error: e.error } : {}) });
    }
    if (outcomes.size === 0) continue;
    const failed = new Map([...outcomes].filter(([, o]) => o.status === 'failed').map(([t, o]) => [t, o.error ?? 'failed']));
    return { runId, failed };
  }
  return undefined;
}

/**
 * `promote migrate` and `rollback --to` work on an environment's single databases: a fleet's
 * tenants are migrated by the promotion's fleet stage (canaries, per-tenant lock and outcome),
 * so these commands leave them alone and say so rather than skip them in silence.
 */
export function fleetsLeftAlone(ws: Workspace, env: LoadedEnvironment, command: 'migrate' | 'rollback --to'): Problem[] {
  return ws
    .databasesOf(env)
    .filter((d) => d.fleet)
    .map((d) => ({
      severity: 'warning' as const,
      code: 'W_FLEET_LEFT_ALONE',
      file: env.file,
      message: `${env.name}/${d.binding} is a fleet: promote ${command} changes the environment's single databases only, not its tenants`,
      hint: `promote --to ${env.name} migrates the fleet's tenants (canaries first, each with its own lock and ledger)`,
    }));
}
