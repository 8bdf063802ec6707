/**
 * A stage over a fleet (one binding, many tenant databases). Each tenant is
 * migrated exactly as a single database is — its own lease, its own ledger, one
 * transaction per chunk — and a failing tenant is isolated: recorded with its
 * error while the others go on, until more than `maxFailures` failed.
 *
 *   observe   every tenant's ledger and schema fingerprint (batched reads)
 *   preflight once per group of tenants with the same (fingerprint, pending set)
 *   canaries  migrated first; then the environment's health checks
 *   the rest  at the fleet's concurrency
 *   rollback  per tenant, only tenants whose ledger says this run applied something
 *
 * The ledger decides, never the journal alone: a tenant whose chunk committed but
 * whose outcome was not journaled (SIGKILL) has nothing pending on resume, and is
 * reported from its ledger's metadata (this run's id), never applied twice.
 */
import { InvalidInputError, RollbackFailedError, RunError } from '../errors.js';
import type { LoadedEnvironment } from '../config/schema.js';
import type { CheckResult, FleetEvent } from '../events/run-events.js';
import { countResults, type TenantOutcome, type TenantResult } from '../fleet/outcome.js';
import { runPool } from '../fleet/pool.js';
import { selectFleetWork, selectTenants, type CanarySetting, type TenantSelection } from '../fleet/select.js';
import { applyChunks } from '../ledger/apply.js';
import { missingRollbacks, runDownMigrations } from '../ledger/down-migrations.js';
import { acquireLease, releaseLease, renewLease } from '../ledger/lease.js';
import { readDatabaseState, schemaSql, type DatabaseState } from '../ledger/ledger.js';
import { preflight } from '../ledger/preflight.js';
import { checkSchema } from '../ledger/expected-schema.js';
import type { RollbackPolicy } from '../machine/promotion-machine.js';
import { chunkMigrations, planDatabase } from '../migrations/plan.js';
import { planSeeds } from '../migrations/seed-plan.js';
import { chunkTransports } from '../migrations/transport.js';
import type { Migration } from '../migrations/types.js';
import type { Problem } from '../problems.js';
import { fingerprintDigest } from '../schema/fingerprint.js';
import { withSignal } from '../d1/with-signal.js';
import type { HandleFleet, TenantDatabase } from '../targets/environment-handle.js';
import type { Workspace } from './load-workspace.js';
import { applyContextFor, type ObservedDatabase } from './observe.js';
import { migrationRefusals } from './refusals.js';
import { schemaDriftProblems } from './schema-refusals.js';

/** Tenants read at once while observing (reads are cheap; the target's budget paces a remote one). */
const OBSERVE_CONCURRENCY = 16;

export interface ObservedTenant {
  tenant: string;
  db: TenantDatabase;
  observed: ObservedDatabase;
  /** Live schema fingerprint (bookkeeping tables left out). */
  digest: string;
  /** Drift, renames, out-of-order files: this tenant cannot be migrated. */
  refusals: Problem[];
  /** Chosen over the whole fleet (selectFleetWork), so a shard's slice does not change which tenants go first. */
  canary: boolean;
}

/** What preflightAll learned about one fleet of one stage. */
export interface FleetPreflight {
  environment: string;
  binding: string;
  tenants: string[];
  canaries: string[];
  /** Per tenant that cannot be migrated: the problem (file:line where SQL failed on scratch). */
  problems: Map<string, Problem>;
  /** How many scratch preflights ran: one per distinct (fingerprint, pending set) with something pending. */
  groups: number;
  /** Tenants that had something pending when observed (the others are confirmed without their lease). */
  pending: Set<string>;
  /** Every migration pending on some tenant, in file order. */
  pendingMigrations: string[];
}

/** One tenant's label in messages: production/DB[tenant-0007]. */
export const tenantLabel = (environment: string, binding: string, tenant: string) => `${environment}/${binding}[${tenant}]`;

export async function observeTenant(ws: Workspace, fleet: HandleFleet, tenant: string, signal?: AbortSignal): Promise<{ db: TenantDatabase; observed: ObservedDatabase; state: DatabaseState }> {
  const db = await fleet.open(tenant, signal);
  const migrations = ws.migrations.get(fleet.migrationsDir) ?? [];
  const state = await readDatabaseState(withSignal(db.conn, signal), fleet.ledgerTable);
  const plan = planDatabase(migrations, { ...state, retired: ws.retired.get(fleet.migrationsDir) ?? new Set() });
  const observed: ObservedDatabase = {
    binding: `${fleet.binding}[${tenant}]`,
    ledgerTable: fleet.ledgerTable,
    migrationsDir: fleet.migrationsDir,
    ...(fleet.transport ? { transport: fleet.transport } : {}),
    migrations,
    state,
    plan,
    // Seeds are an environment's sample data for its single databases; tenants of a fleet get none.
    seeds: [],
    seedPlan: planSeeds([], state.seeds),
  };
  return { db, observed, state };
}

/** Every selected tenant of a fleet, read: ledger, plan, fingerprint, refusals. */
export async function observeFleet(ws: Workspace, env: LoadedEnvironment, fleet: HandleFleet, selection: TenantSelection = {}, signal?: AbortSignal): Promise<ObservedTenant[]> {
  const work = selectFleetWork(await fleet.tenants(signal), canarySetting(fleet), selection);
  const canaries = new Set(work.canaries);
  const { results } = await runPool(work.tenants, OBSERVE_CONCURRENCY, async (tenant) => {
    const { db, observed } = await observeTenant(ws, fleet, tenant, signal);
    // The live schema is read once for both: the preflight groups tenants by it, and a tenant changed
    // by hand (schema drift) fails alone. The replay of a ledger is cached, so 1,000 tenants at one
    // version cost one replay and no request more than the plain schema read.
    const checked = await checkSchema({
      conn: withSignal(db.conn, signal),
      scratch: () => db.scratch(),
      ledgerTable: fleet.ledgerTable,
      migrations: observed.migrations,
      retired: ws.retired.get(fleet.migrationsDir) ?? new Set<string>(),
      state: observed.state,
      ignore: ws.project.pipeline.migrations.schemaIgnore,
      root: ws.project.root,
      ...(signal ? { signal } : {}),
    });
    const withSchema = { ...observed, schema: checked.check };
    const digest = fingerprintDigest(checked.live);
    const refusals = [
      ...migrationRefusals({ env, databases: [withSchema] }),
      ...schemaDriftProblems({ env, databases: [withSchema] }, ws.project.pipeline.migrations.schemaDrift, ws.project.pipelineFile),
    ];
    return { tenant, db, observed: withSchema, digest, refusals, canary: canaries.has(tenant) };
  });
  return results as ObservedTenant[];
}

/**
 * Preflight once per group of tenants that would run the same statements on the
 * same schema: (fingerprint, pending set, adopted set). A group that fails fails
 * its tenants alone, each with the file:line problem. When every tenant of the fleet
 * has a problem, the migration (not a tenant) is wrong: InvalidInputError, exit 2,
 * before any environment changed — as for a single database.
 */
export async function preflightFleet(env: LoadedEnvironment, fleet: HandleFleet, tenants: readonly ObservedTenant[], runId: string): Promise<FleetPreflight> {
  const problems = new Map<string, Problem>();
  const groups = new Map<string, ObservedTenant[]>();
  for (const t of tenants) {
    const refusal = t.refusals.find((p) => p.severity === 'error');
    if (refusal) {
      problems.set(t.tenant, refusal);
      continue;
    }
    if (t.observed.plan.pending.length === 0) continue;
    const key = [t.digest, ...t.observed.plan.pending.map((m) => `${m.name}:${m.checksum}`), ...t.observed.plan.adoptable.map((m) => `adopt:${m.name}`)].join('\n');
    const group = groups.get(key) ?? [];
    group.push(t);
    groups.set(key, group);
  }
  // One scratch database per fleet: the groups take turns on it.
  for (const group of groups.values()) {
    const first = group[0]!;
    const scratch = await first.db.scratch();
    const advice = first.observed.state.ledger.length === 0 ? { baselineCommand: `promote baseline --env ${env.name}` } : {};
    const result = await preflight(scratch, schemaSql(first.observed.state.schema), chunkMigrations(first.observed.plan.pending), applyContextFor(first.observed, runId), advice);
    if (!result.ok) for (const t of group) problems.set(t.tenant, { ...result.problem, message: `${tenantLabel(env.name, fleet.binding, t.tenant)}: ${result.problem.message}` });
  }
  const names = tenants.map((t) => t.tenant);
  if (names.length > 0 && problems.size === names.length) {
    // One problem per distinct cause, said of the fleet: the message starts with where (preflightAll names it).
    const distinct = [...new Map([...problems.values()].map((p) => {
      const message = `${env.name}/${fleet.binding} (all ${names.length} tenants): ${p.message.replace(/^[^:]*\]: /, '')}`;
      return [`${p.code}:${p.file}:${p.line}:${message}`, { ...p, message }] as const;
    })).values()];
    throw new InvalidInputError(distinct, `every tenant of ${env.name}/${fleet.binding} (${names.length}) failed preflight; no tenant was changed`);
  }
  const pending = new Set(tenants.filter((t) => t.observed.plan.pending.length > 0).map((t) => t.tenant));
  const pendingMigrations = [...new Set(tenants.flatMap((t) => t.observed.plan.pending.map((m) => m.name)))].sort();
  return { environment: env.name, binding: fleet.binding, tenants: names, canaries: tenants.filter((t) => t.canary).map((t) => t.tenant), problems, groups: groups.size, pending, pendingMigrations };
}

function canarySetting(fleet: HandleFleet): CanarySetting {
  const canary = fleet.fleet.canary;
  return Array.isArray(canary) ? canary : (canary as `${number}%`);
}

/** "file:line: message" for a tenant's outcome. */
function problemText(p: Problem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`;
}

export interface FleetMigrateOptions {
  runId: string;
  owner: string;
  lockTtlMs: number;
  /** Take a per-tenant bookmark before migrating each tenant (the stage asks for bookmarks). */
  bookmark: boolean;
  /** Outcomes journaled by an earlier attempt of this run (resume): failed tenants stay failed. */
  prior: ReadonlyMap<string, TenantOutcome>;
  /**
   * The environment's health checks, run once the canaries are migrated: throws when they fail; a
   * reason when they could not run (no Worker version serves yet: the stage's own verify checks the new one).
   */
  verifyCanaries: () => Promise<{ checks: CheckResult[] } | { skipped: string }>;
  emit: (event: FleetEvent) => void | Promise<void>;
  /** Filled with each tenant's bookmark as it is taken (and holds those of an earlier attempt). */
  bookmarks?: Map<string, { id: string; at: number }>;
  redact?: (s: string) => string;
  signal?: AbortSignal;
}

export interface FleetRunResult {
  outcomes: TenantOutcome[];
  /** Per tenant this run bookmarked: the bookmark (rollback by time travel). */
  bookmarks: Map<string, { id: string; at: number }>;
  /** Set when the canaries' health checks failed (the rest never started). */
  canaryError?: Error;
}

export class FleetFailedError extends RunError {
  constructor(environment: string, binding: string, failed: readonly TenantOutcome[], total: number, skipped: number) {
    const names = failed.slice(0, 10).map((o) => o.tenant).join(', ') + (failed.length > 10 ? ` and ${failed.length - 10} more` : '');
    super(
      `${failed.length} of ${total} tenants of ${environment}/${binding} failed (${names})${skipped > 0 ? `; ${skipped} not started (maxFailures)` : ''}\n  ` +
        failed.slice(0, 10).map((o) => `${o.tenant}: ${o.error ?? 'failed'}`).join('\n  '),
      `fix what each failed tenant's error names, then promote again: tenants already at the newest migration are left as they are (promote status --env ${environment} lists them)`,
    );
  }
}

/**
 * Migrates a preflighted fleet: canaries first (each migrated, then the health checks),
 * then the rest at the fleet's concurrency. Never throws for a tenant's failure: the
 * caller decides what the outcomes mean for the stage.
 */
export async function migrateFleet(ws: Workspace, fleet: HandleFleet, pre: FleetPreflight, o: FleetMigrateOptions): Promise<FleetRunResult> {
  const { environment, binding } = pre;
  const canaries = new Set(pre.canaries);
  const ordered = [...pre.canaries, ...pre.tenants.filter((t) => !canaries.has(t))];
  const outcomes = new Map<string, TenantOutcome>();
  const bookmarks = o.bookmarks ?? new Map<string, { id: string; at: number }>();
  let failures = 0;
  const redact = o.redact ?? ((s: string) => s);

  const record = async (raw: TenantOutcome): Promise<TenantOutcome> => {
    // An error can quote SQL or a URL with a secret in it: redacted before it is journaled or sent anywhere.
    const outcome = raw.error !== undefined ? { ...raw, error: redact(raw.error) } : raw;
    outcomes.set(outcome.tenant, outcome);
    if (outcome.result === 'failed') failures++;
    await o.emit({
      type: 'tenant',
      environment,
      binding,
      tenant: outcome.tenant,
      status: outcome.result,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.migrations.length > 0 ? { migrations: outcome.migrations } : {}),
      ...(outcome.version ? { version: outcome.version } : {}),
      ...(outcome.canary ? { canary: true } : {}),
    });
    return outcome;
  };

  const migrateOne = async (tenant: string): Promise<TenantOutcome> => {
    const canary = canaries.has(tenant);
    const base = { environment, binding, tenant, ...(canary ? { canary: true } : {}) };
    const before = o.prior.get(tenant);
    // A tenant an earlier attempt of this run failed is not tried again by a resume: its error stands.
    if (before?.result === 'failed') return record({ ...before, ...base });
    await o.emit({ type: 'tenant', ...base, status: 'running' });
    try {
      // Up to date when observed and still so: nothing to write, so no lease is taken (two requests fewer a tenant).
      if (!pre.pending.has(tenant) && !pre.problems.has(tenant)) {
        const { observed, state } = await observeTenant(ws, fleet, tenant, o.signal);
        if (observed.plan.pending.length === 0) {
          const mine = appliedByRun(state, o.runId);
          return await record({ ...base, result: mine.length > 0 ? 'applied' : 'unchanged', migrations: mine, ...versionOf(state.ledger.at(-1)?.name) });
        }
      }
      return await record(await applyTenant(ws, fleet, tenant, pre.problems.get(tenant), o, bookmarks, base));
    } catch (e) {
      return record({ ...base, result: 'failed', migrations: [], error: (e as Error).message.split('\n')[0] ?? String(e) });
    }
  };

  await o.emit({ type: 'fleet-start', environment, binding, total: ordered.length, canaries: pre.canaries.length, concurrency: fleet.fleet.concurrency, preflights: pre.groups });
  const mayStart = () => failures <= fleet.fleet.maxFailures && !o.signal?.aborted;
  let canaryError: Error | undefined;
  await runPool(pre.canaries, fleet.fleet.concurrency, migrateOne, mayStart);
  const canaryFailed = pre.canaries.some((t) => outcomes.get(t)?.result === 'failed');
  if (pre.canaries.length > 0 && !canaryFailed && !o.signal?.aborted) {
    try {
      const verdict = await o.verifyCanaries();
      await o.emit({ type: 'fleet-canaries', environment, binding, canaries: pre.canaries, ok: true, ...verdict });
    } catch (e) {
      canaryError = e as Error;
      const checks = (e as { detail?: { checks?: CheckResult[] } }).detail?.checks;
      await o.emit({ type: 'fleet-canaries', environment, binding, canaries: pre.canaries, ok: false, ...(checks ? { checks } : {}), error: (e as Error).message });
    }
  }
  if (!canaryFailed && !canaryError) {
    const rest = ordered.filter((t) => !canaries.has(t));
    await runPool(rest, fleet.fleet.concurrency, migrateOne, mayStart);
  }
  for (const t of ordered) {
    if (!outcomes.has(t)) await record({ environment, binding, tenant: t, result: 'skipped', migrations: [], ...(canaries.has(t) ? { canary: true } : {}) });
  }
  const all = ordered.map((t) => outcomes.get(t)!);
  const counts = countResults(all);
  await o.emit({ type: 'fleet-end', environment, binding, counts, failed: all.filter((x) => x.result === 'failed').map((x) => x.tenant) });
  return { outcomes: all, bookmarks, ...(canaryError ? { canaryError } : {}) };
}

/** One tenant: its lease, then what its ledger says is pending, applied; the lease released whatever happens. */
async function applyTenant(
  ws: Workspace,
  fleet: HandleFleet,
  tenant: string,
  problem: Problem | undefined,
  o: FleetMigrateOptions,
  bookmarks: Map<string, { id: string; at: number }>,
  base: { environment: string; binding: string; tenant: string; canary?: boolean },
): Promise<TenantOutcome> {
  const db = await fleet.open(tenant, o.signal);
  const conn = withSignal(db.conn, o.signal);
  const lease = await acquireLease(conn, o.runId, o.owner, o.lockTtlMs);
  if (!lease.acquired) {
    const l = lease.holder;
    return { ...base, result: 'failed', migrations: [], error: `locked by run ${l.runId} (${l.owner}, since ${l.acquiredAt})` };
  }
  const renewal = setInterval(() => void renewLease(db.conn, o.runId, o.lockTtlMs).catch(() => undefined), Math.max(250, o.lockTtlMs / 3));
  renewal.unref();
  try {
    // Read under the lease: the ledger, not the journal, says what is still pending.
    const { observed, state } = await observeTenant(ws, fleet, tenant, o.signal);
    const version = (s: DatabaseState) => s.ledger.at(-1)?.name;
    const mine = appliedByRun(state, o.runId);
    const refusal = migrationRefusals({ env: { name: base.environment } as LoadedEnvironment, databases: [observed] }).find((p) => p.severity === 'error');
    if (refusal) return { ...base, result: 'failed', migrations: [], error: problemText(refusal), ...versionOf(version(state)) };
    if (observed.plan.pending.length === 0) {
      return { ...base, result: mine.length > 0 ? 'applied' : 'unchanged', migrations: mine, ...versionOf(version(state)) };
    }
    if (problem) return { ...base, result: 'failed', migrations: [], error: problemText(problem), ...versionOf(version(state)) };
    if (o.bookmark && fleet.timeTravel) {
      const b = await fleet.timeTravel(tenant).bookmark(o.runId, o.signal);
      bookmarks.set(tenant, b);
    }
    const chunks = chunkMigrations(observed.plan.pending);
    const transports = chunkTransports(chunks, fleet.transport ?? 'auto', []).map((c) => c.transport);
    try {
      const applied = await applyChunks(conn, chunks, { ...applyContextFor(observed, o.runId), transports });
      // Each chunk commits with its ledger rows, so what applyChunks returns is what the ledger now holds.
      return { ...base, result: 'applied', migrations: [...mine, ...applied.map((m) => m.name)], ...versionOf(applied.at(-1)?.name ?? version(state)) };
    } catch (e) {
      const after = await readDatabaseState(conn, fleet.ledgerTable).catch(() => state);
      return { ...base, result: 'failed', migrations: appliedByRun(after, o.runId), error: (e as Error).message.split('\n')[0] ?? String(e), ...versionOf(version(after)) };
    }
  } finally {
    clearInterval(renewal);
    await releaseLease(db.conn, o.runId).catch(() => undefined);
  }
}

const versionOf = (v: string | undefined) => (v ? { version: v } : {});

/** Names this run applied to the tenant (its ledger's metadata carries the run id), in ledger order. */
function appliedByRun(state: DatabaseState, runId: string): string[] {
  return state.ledger.filter((r) => {
    const m = state.meta.get(r.name);
    return m?.run_id === runId && m.adopted === 0;
  }).map((r) => r.name);
}

/** The stage's verdict over a fleet run: throws when a tenant failed or the canaries' checks did. */
export function judgeFleet(environment: string, binding: string, run: FleetRunResult): void {
  if (run.canaryError) throw run.canaryError;
  const failed = run.outcomes.filter((x) => x.result === 'failed');
  if (failed.length > 0) throw new FleetFailedError(environment, binding, failed, run.outcomes.length, run.outcomes.filter((x) => x.result === 'skipped').length);
}

export interface FleetRollbackOptions {
  runId: string;
  policy: RollbackPolicy;
  /** Bookmarks taken before each tenant was migrated (this process, or journaled by an earlier attempt). */
  bookmarks: ReadonlyMap<string, { id: string; at: number }>;
  concurrency: number;
  /** The run's narrowing of the tenant list (the same as its migrate step's). */
  selection?: TenantSelection;
  emit: (event: FleetEvent) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * Undoes this run in every tenant whose ledger says this run applied something:
 * down migrations when every such file has one (and the policy allows), else the
 * tenant's bookmark. Tenants this run did not change are not touched.
 */
export async function rollbackFleet(ws: Workspace, environment: string, fleet: HandleFleet, o: FleetRollbackOptions): Promise<{ migrations: string[]; database: 'time-travel' | 'down-migrations' | 'none'; rolledBack: number; lostWritesWindowMs?: number }> {
  const files = ws.migrations.get(fleet.migrationsDir) ?? [];
  const tenants = selectTenants(await fleet.tenants(o.signal), o.selection);
  const problems: string[] = [];
  const names = new Set<string>();
  let used = 'none' as 'time-travel' | 'down-migrations' | 'none';
  let rolledBack = 0;
  let window = 0;
  await runPool(tenants, o.concurrency, async (tenant) => {
    try {
      const db = await fleet.open(tenant, o.signal);
      const conn = withSignal(db.conn, o.signal);
      const state = await readDatabaseState(conn, fleet.ledgerTable);
      const mine = new Set(appliedByRun(state, o.runId));
      const applied = files.filter((m) => mine.has(m.name));
      if (applied.length === 0) return;
      applied.forEach((m) => names.add(m.name));
      if (o.policy === 'none') return;
      const useDown = o.policy === 'down-migrations' || (o.policy === 'auto' && missingRollbacks(applied).length === 0);
      if (useDown) {
        await runDownMigrations({ conn, ledgerTable: fleet.ledgerTable, migrations: applied });
        used = 'down-migrations';
      } else {
        const b = o.bookmarks.get(tenant);
        if (!b || !fleet.timeTravel) throw new Error(`no bookmark of ${tenant} was taken before it was migrated and ${missingRollbacks(applied).map((m) => m.name).join(', ')} has no rollback file`);
        const { restoredAt } = await fleet.timeTravel(tenant).restore(b.id, o.signal);
        window = Math.max(window, restoredAt - b.at);
        if (used === 'none') used = 'time-travel';
      }
      rolledBack++;
      await o.emit({ type: 'tenant', environment, binding: fleet.binding, tenant, status: 'rolled-back', migrations: applied.map((m) => m.name) });
    } catch (e) {
      problems.push(`${tenant}: ${(e as Error).message}`);
    }
  });
  if (problems.length > 0) {
    throw new RollbackFailedError(
      `rollback of ${problems.length} tenant(s) of ${environment}/${fleet.binding} failed: ${problems.slice(0, 10).join('; ')}`,
      `inspect them with 'promote status --env ${environment} --json'; write rollback files for this run's migrations, or set bookmark: true on the stage so each tenant is bookmarked before it is migrated`,
    );
  }
  return { migrations: [...names].sort(), database: used, rolledBack, ...(used === 'time-travel' ? { lostWritesWindowMs: window } : {}) };
}

/** The migration files a fleet's tenants should all hold once the stage is done. */
export function fleetFiles(ws: Workspace, fleet: { migrationsDir: string }): Migration[] {
  return ws.migrations.get(fleet.migrationsDir) ?? [];
}

export type { TenantResult };
