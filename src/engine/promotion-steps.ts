/**
 * Each machine step as real work on an environment, whatever its target.
 * Every step checks real state before acting (ledger, serving version,
 * bookmark already taken), so a resumed run that repeats a step does no harm.
 */
import { rolloutOf, type LoadedEnvironment } from '../config/schema.js';
import { noBookmarkAdvice } from './rollback-advice.js';
import { InvalidInputError, LockedError, RollbackFailedError, RunError } from '../errors.js';
import { applyChunks, type ApplyContext } from '../ledger/apply.js';
import { missingRollbacks, runDownMigrations } from '../ledger/down-migrations.js';
import { readDatabaseState, schemaSql, type LedgerRow } from '../ledger/ledger.js';
import { preflight } from '../ledger/preflight.js';
import { applySeedChunks } from '../ledger/seeds.js';
import type { StepDetail, StepProgress } from '../events/run-events.js';
import type { BackupOutput, BookmarkOutput, DeployOutput, MigrateOutput, PreflightOutput, RollbackOutput, RollbackPolicy, StepInput, VerifyOutput } from '../machine/promotion-machine.js';
import type { Problem } from '../problems.js';
import { classifyMigration } from '../migrations/expand-contract.js';
import { chunkMigrations, planDatabase } from '../migrations/plan.js';
import { chunkTransports } from '../migrations/transport.js';
import type { Migration } from '../migrations/types.js';
import { changeFingerprint } from './change.js';
import type { Workspace } from './load-workspace.js';
import { applyContextFor, observeHandle, type ObservedEnvironment } from './observe.js';
import { planPromotion, type PlannedStage, type PromotionPlan } from './promotion-plan.js';
import { acquireLease, releaseLease, renewLease } from '../ledger/lease.js';
import { runHealthChecks } from '../verify/health-check.js';
import type { EnvironmentHandle, WorkerRollout } from '../targets/environment-handle.js';
import { walkRollout } from './rollout-steps.js';
import { backupBeforeMigrating } from './backups.js';
import type { D1Connection } from '../d1/connection.js';
import { withSignal } from '../d1/with-signal.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import type { FleetEvent, RunEvent } from '../events/run-events.js';
import type { TenantOutcome } from '../fleet/outcome.js';
import { readJournal } from '../notify/journal-sink.js';
import { journalPath } from '../runs/run-store.js';
import type { HandleFleet, WorkerDeployer } from '../targets/environment-handle.js';
import { judgeFleet, migrateFleet, observeFleet, observeTenant, preflightFleet, rollbackFleet, type FleetPreflight, type FleetRunResult } from './fleet-stage.js';
import { runPool } from '../fleet/pool.js';
import { selectTenants, type CanarySetting, type TenantSelection } from '../fleet/select.js';
import type { Shard } from '../fleet/shard.js';
import { isFleet } from '../config/environment-databases.js';

export interface StepOptions {
  runId: string;
  lockTtlMs: number;
  /** How long to wait for another run's lock before exiting 3 (0: not at all). */
  waitMs: number;
  redact?: (s: string) => string;
  /** Who holds the lease (user@host pid N), from the CLI's settings. */
  owner: string;
  /** Said once per environment when a queued run (--wait) starts waiting for another process to let go of it. */
  onLockWait?: (message: string) => void;
  soakIntervalMs?: number;
  /**
   * A sharded run (--shard i/n): the environment is seen as its fleets alone, each cut to
   * the shard's slice. Its single databases, its Worker and the environment lock (held in
   * a single database) are left to the unsharded run, so n shards run side by side, each
   * tenant under its own lease, and a failing shard never rolls back the Worker.
   */
  fleetOnly?: { environment: string; shard: Shard };
}

export class VerificationFailed extends RunError {
  constructor(
    message: string,
    readonly detail: StepDetail,
  ) {
    super(message, 'see the failing checks above; the stage was rolled back');
  }
}

export class PromotionSteps {
  private readonly handles = new Map<string, Promise<EnvironmentHandle>>();
  private readonly renewals = new Map<string, NodeJS.Timeout>();
  /** Per stage, the pending set that passed preflight (binding:name:checksum lines). */
  private readonly preflighted = new Map<string, string>();
  /** Chunk times on the scratch copy, per "<env>/<binding>/<first migration>" (auto transport weighs them). */
  private readonly preflightMs = new Map<string, number>();
  /** Per "<env>/<binding>": the fleet's preflight (groups, canaries, tenants that cannot be migrated). */
  private readonly fleetPreflights = new Map<string, FleetPreflight>();
  /** Per "<env>/<binding>": what this process's migrate step did to the fleet. */
  private readonly fleetRuns = new Map<string, FleetRunResult>();
  /** Tenant outcomes an earlier attempt of this run journaled (resume), per "<env>/<binding>". */
  private prior?: Map<string, Map<string, TenantOutcome & { bookmark?: { id: string; at: number } }>>;

  constructor(
    private readonly ws: Workspace,
    private readonly open: (env: LoadedEnvironment) => Promise<EnvironmentHandle>,
    /** Code hash each environment should end up serving (undefined: no Worker). */
    private readonly expectedCode: (env: LoadedEnvironment) => string | undefined,
    private readonly opts: StepOptions,
    /** Every stage of the run, in order: the first preflight refuses what a later stage would refuse. */
    private readonly stages: readonly LoadedEnvironment[] = [],
  ) {}

  /** What this environment looks like once the change is in: every file applied, this build serving. */
  expectedChange(env: LoadedEnvironment): string {
    const fleetOnly = this.opts.fleetOnly?.environment === env.name;
    const code = fleetOnly ? undefined : this.expectedCode(env);
    return changeFingerprint({
      databases: this.ws
        .databasesOf(env)
        .filter((d) => !fleetOnly || isFleet(d))
        .map((d) => ({ binding: d.binding, migrations: this.ws.migrations.get(d.migrationsDir) ?? [] })),
      ...(code ? { codeHash: code } : {}),
    });
  }

  handle(name: string): Promise<EnvironmentHandle> {
    let h = this.handles.get(name);
    if (!h) {
      const opened = this.open(this.ws.project.environments.get(name)!).then(async (handle) => {
        const missing = this.ws.databasesOf(handle.env).filter((d) => d.fleet && !handle.fleets?.some((f) => f.binding === d.binding));
        if (missing.length === 0) return handle;
        // A target that does not know fleets would open the binding as one database: never migrate that by mistake.
        await handle.dispose().catch(() => undefined);
        throw new InvalidInputError(
          missing.map((d) => ({ severity: 'error' as const, code: 'E_FLEET_UNSUPPORTED', file: handle.env.file, message: `${handle.env.name}/${d.binding} is a fleet, and the ${handle.env.config.target} target of this build cannot open fleets`, hint: 'run it on the local target, or remove fleet: from this database' })),
        );
      });
      h = this.opts.fleetOnly?.environment === name ? opened.then(fleetsOnly) : opened;
      this.handles.set(name, h);
    }
    return h;
  }

  private fleetOnly(environment: string): boolean {
    return this.opts.fleetOnly?.environment === environment;
  }

  /** The slice of a fleet this run works on (all of it, unless the run is sharded). */
  private selection(environment: string): TenantSelection {
    const f = this.opts.fleetOnly;
    return f?.environment === environment ? { shard: f.shard } : {};
  }

  /**
   * Whether an environment has this change, as its verify step saw it: every database's
   * ledger (each tenant's, for a fleet) and the Worker it serves. A sharded run starts
   * at its target, so it asks this of the stage before it instead of walking it.
   */
  async hasVerifiedChange(name: string): Promise<boolean> {
    const h = await this.handle(name);
    return (await this.observedChange(h)) === this.expectedChange(h.env);
  }

  /** Opens (once) and reads a stage's environment: ledger, metadata, schema, and the plan against the files. */
  async observe(name: string): Promise<ObservedEnvironment> {
    const h = await this.handle(name);
    // The schema check (live against the replay of the applied migrations) is part of every stage's observation.
    return { env: h.env, databases: await observeHandle(this.ws, h, undefined, { schema: true }), handle: h };
  }

  /**
   * Before the first lock of the run: every stage's problems (drift, order,
   * missing rollback files) and every stage's pending set tried on a scratch
   * copy of that stage's current schema, side by side. Any problem anywhere
   * stops the run with every problem named, before any environment changes.
   */
  async preflightAll(names: readonly string[], rollback: RollbackPolicy): Promise<PromotionPlan> {
    const observed = await Promise.all(names.map((n) => this.observe(n)));
    const plan = planPromotion(this.ws, observed, { rollback });
    if (plan.problems.some((p) => p.severity === 'error')) {
      throw new InvalidInputError(plan.problems, 'the run was refused before any environment was touched; nothing was changed');
    }
    const failed = (await Promise.all(plan.stages.map((s) => this.tryPending(s)))).filter((p): p is Problem => p !== undefined);
    for (const name of names) failed.push(...(await this.preflightFleets(name)));
    if (failed.length > 0) {
      const where = [...new Set(failed.map((p) => p.message.split(':')[0]))].join(', ');
      throw new InvalidInputError(failed, `preflight failed on ${where}; no environment was changed`);
    }
    return plan;
  }

  /**
   * Every fleet of a stage: tenants read, grouped by (fingerprint, pending set), one preflight per group.
   * A tenant whose group fails is failed alone later (its migrate turn); only a fleet where every
   * tenant fails stops the run here, as a single database would (exit 2).
   */
  private async preflightFleets(environment: string): Promise<Problem[]> {
    const h = await this.handle(environment);
    const problems: Problem[] = [];
    for (const fleet of h.fleets ?? []) {
      try {
        const tenants = await observeFleet(this.ws, h.env, fleet, this.selection(environment));
        this.fleetPreflights.set(`${environment}/${fleet.binding}`, await preflightFleet(h.env, fleet, tenants, this.opts.runId));
      } catch (e) {
        if (!(e instanceof InvalidInputError)) throw e;
        problems.push(...e.problems);
      }
    }
    return problems;
  }

  /** The preflight of a fleet, made now when this process has none yet. */
  private async fleetPreflight(h: EnvironmentHandle, fleet: HandleFleet): Promise<FleetPreflight> {
    const key = `${h.env.name}/${fleet.binding}`;
    const known = this.fleetPreflights.get(key);
    if (known) return known;
    const made = await preflightFleet(h.env, fleet, await observeFleet(this.ws, h.env, fleet, this.selection(h.env.name)), this.opts.runId);
    this.fleetPreflights.set(key, made);
    return made;
  }

  /** What an earlier attempt of this run journaled for each tenant: the last outcome per tenant. */
  private priorOutcomes(environment: string, binding: string): Map<string, TenantOutcome & { bookmark?: { id: string; at: number } }> {
    if (!this.prior) {
      this.prior = new Map();
      const file = journalPath(this.ws.project.root, this.opts.runId);
      const events: RunEvent[] = existsSync(file) ? readJournal(file) : [];
      for (const e of events) {
        if (e.type !== 'tenant' || e.status === 'running') continue;
        const key = `${e.environment}/${e.binding}`;
        const map = this.prior.get(key) ?? new Map();
        const before = map.get(e.tenant);
        map.set(e.tenant, {
          environment: e.environment,
          binding: e.binding,
          tenant: e.tenant,
          result: e.status,
          migrations: e.migrations ?? [],
          ...(e.version ? { version: e.version } : {}),
          ...(e.error ? { error: e.error } : {}),
          ...(e.canary ? { canary: true } : {}),
          ...(e.bookmark ?? before?.bookmark ? { bookmark: e.bookmark ?? before!.bookmark! } : {}),
        });
        this.prior.set(key, map);
      }
    }
    return this.prior.get(`${environment}/${binding}`) ?? new Map();
  }

  /** Runs a stage's pending set on scratch; the problem (file:line) when SQL fails there. Remembers what passed. */
  private async tryPending(stage: PlannedStage): Promise<Problem | undefined> {
    const h = await this.handle(stage.environment);
    for (const [i, d] of stage.databases.entries()) {
      if (d.pending.length === 0 && d.seeds.length === 0) continue;
      const scratch = await h.databases[i]!.scratch();
      // A database with schema but no ledger was built by hand: `promote baseline` adopts it.
      const advice = d.observed.state.ledger.length === 0 && d.pending.length > 0 ? { baselineCommand: `promote baseline --env ${stage.environment}` } : {};
      const result = await preflight(scratch, schemaSql(d.observed.state.schema), chunkMigrations(d.pending), applyContextFor(d.observed, this.opts.runId), advice, chunkMigrations(d.seeds));
      if (!result.ok) return { ...result.problem, message: `${stage.environment}/${d.binding}: ${result.problem.message}` };
      // Chunk times on scratch: the auto transport sends a slow chunk through D1's import.
      chunkMigrations(d.pending).forEach((c, k) => this.preflightMs.set(`${stage.environment}/${d.binding}/${c[0]?.name}`, result.durationsMs[k]!));
    }
    this.preflighted.set(stage.environment, pendingKey(stage));
    return undefined;
  }

  /**
   * The machine's preflight step. The run already tried every stage's pending
   * set before its first lock; this re-reads the stage (another run may have
   * changed it since) and tries again only when what is pending differs.
   */
  async preflight(input: StepInput): Promise<PreflightOutput> {
    const stage = planPromotion(this.ws, [await this.observe(input.environment)], { rollback: input.rollbackPolicy }).stages[0]!;
    if (stage.problems.some((p) => p.severity === 'error')) throw new InvalidInputError(stage.problems, `${input.environment} was not changed`);
    if (this.preflighted.get(input.environment) !== pendingKey(stage)) {
      const problem = await this.tryPending(stage);
      if (problem) throw new InvalidInputError([problem], `preflight failed on ${input.environment}; it was not changed`);
    }
    const h = await this.handle(input.environment);
    const fleets: string[] = [];
    for (const fleet of h.fleets ?? []) fleets.push(...(await this.fleetPreflight(h, fleet)).pendingMigrations);
    // Schema drift let through by schemaDrift: warn travels to every sink on this step's detail.
    const warnings = stage.warnings.filter((p) => p.code === 'W_SCHEMA_DRIFT').map((p) => p.message);
    return {
      migrations: [...stage.databases.flatMap((d) => d.pending.map((m) => m.name)), ...new Set(fleets)],
      seeds: stage.databases.flatMap((d) => d.seeds.map((s) => s.name)),
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  async lock(input: StepInput, signal?: AbortSignal): Promise<void> {
    const h = await this.handle(input.environment);
    const lockDb = h.databases[0]?.conn;
    const conn = lockDb ? withSignal(lockDb, signal) : undefined;
    if (!conn) return;
    const deadline = Date.now() + this.opts.waitMs;
    for (;;) {
      const result = await acquireLease(conn, this.opts.runId, this.opts.owner, this.opts.lockTtlMs);
      if (result.acquired) break;
      if (Date.now() >= deadline) {
        const l = result.holder;
        throw new LockedError(
          `${input.environment} is locked by run ${l.runId} (${l.owner}, since ${l.acquiredAt}; the lease expires in ${Math.max(0, Math.ceil(l.remainingMs / 1000))} s)`,
          "wait for that run to finish, or pass --wait <duration> to queue behind it; a crashed run's lease expires by itself",
        );
      }
      await sleep(Math.min(1000, Math.max(50, deadline - Date.now())), undefined, signal ? { signal } : {});
    }
    clearInterval(this.renewals.get(input.environment));
    // Renewed while the stage runs, so a long soak never loses the lock (the renewal outlives the step: no signal).
    const timer = setInterval(() => void renewLease(lockDb!, this.opts.runId, this.opts.lockTtlMs).catch(() => undefined), Math.max(250, this.opts.lockTtlMs / 3));
    timer.unref();
    this.renewals.set(input.environment, timer);
  }

  async unlock(input: StepInput, signal?: AbortSignal): Promise<void> {
    clearInterval(this.renewals.get(input.environment));
    this.renewals.delete(input.environment);
    const conn = (await this.handle(input.environment)).databases[0]?.conn;
    if (conn) await releaseLease(withSignal(conn, signal), this.opts.runId);
  }

  /** Releases every lease this run holds (interrupts). */
  async releaseAll(): Promise<void> {
    for (const name of this.handles.keys()) await this.unlock({ environment: name } as StepInput).catch(() => undefined);
  }

  async bookmark(input: StepInput, signal?: AbortSignal): Promise<BookmarkOutput> {
    const { id, at } = await (await this.handle(input.environment)).timeTravel.bookmark(this.opts.runId, signal);
    return { bookmark: id, at };
  }

  /** The stage's `backup: true`: every database dumped and proven by a restore on scratch, before it migrates. */
  async backup(input: StepInput, signal?: AbortSignal): Promise<BackupOutput> {
    const h = await this.handle(input.environment);
    const observed = await observeHandle(this.ws, h, signal);
    // Seeds write rows too: a stage with only seeds pending is backed up as well.
    if (!observed.some((d) => d.plan.pending.length > 0 || d.seedPlan.pending.length > 0)) return { files: [], message: 'nothing to migrate: no backup taken' };
    return { files: await backupBeforeMigrating(h, this.ws.project.root, this.opts.runId, signal) };
  }

  async migrate(input: StepInput, signal?: AbortSignal, progress?: StepProgress): Promise<MigrateOutput> {
    const h = await this.handle(input.environment);
    const single = await this.migrateDatabases(h, input, signal);
    const fleetNames = new Set<string>();
    const runs: [HandleFleet, FleetRunResult][] = [];
    for (const fleet of h.fleets ?? []) {
      const run = await this.migrateOneFleet(h, fleet, input, signal, progress);
      runs.push([fleet, run]);
      for (const o of run.outcomes) for (const m of o.migrations) if (o.result === 'applied') fleetNames.add(m);
    }
    // Stopped (Ctrl-C twice, SIGTERM): the tenants not started are skipped, and the step did not finish.
    if (runs.length > 0) signal?.throwIfAborted();
    for (const [fleet, run] of runs) judgeFleet(input.environment, fleet.binding, run);
    return { migrations: [...single.migrations, ...[...fleetNames].sort()], ...(single.seeds ? { seeds: single.seeds } : {}) };
  }

  private async migrateOneFleet(h: EnvironmentHandle, fleet: HandleFleet, input: StepInput, signal: AbortSignal | undefined, progress: StepProgress | undefined): Promise<FleetRunResult> {
    const pre = await this.fleetPreflight(h, fleet);
    const prior = this.priorOutcomes(h.env.name, fleet.binding);
    const stageBookmark = this.ws.project.pipeline.stages.some((s) => s.environment === input.environment && s.bookmark);
    const bookmarks = new Map<string, { id: string; at: number }>();
    for (const [t, o] of prior) if (o.bookmark) bookmarks.set(t, o.bookmark);
    const run = await migrateFleet(this.ws, fleet, pre, {
      runId: this.opts.runId,
      owner: this.opts.owner,
      lockTtlMs: this.opts.lockTtlMs,
      bookmark: stageBookmark,
      prior,
      bookmarks,
      ...(this.opts.redact ? { redact: this.opts.redact } : {}),
      ...(signal ? { signal } : {}),
      verifyCanaries: async () => {
        if (h.worker && !(await h.worker.servingCodeHash())) return { skipped: 'no Worker version serves yet: the health checks run once this run deploys one' };
        const outcome = await runHealthChecks(h.env.config.health, h.baseUrl(), { ...(signal ? { signal } : {}), ...(this.opts.redact ? { redact: this.opts.redact } : {}) });
        if (!outcome.ok) {
          const failing = outcome.results.filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason ?? 'failed'}`);
          throw new VerificationFailed(`the canaries of ${input.environment}/${fleet.binding} are migrated but the health checks failed: ${failing.join('; ')}; no other tenant was started`, { checks: outcome.results });
        }
        return { checks: outcome.results };
      },
      emit: (e: FleetEvent) => {
        // The tenant's bookmark travels in its event, so a resumed run can still roll it back.
        const b = e.type === 'tenant' && e.status === 'applied' ? bookmarks.get(e.tenant) : undefined;
        return progress?.fleet?.(b && e.type === 'tenant' ? { ...e, bookmark: b } : e);
      },
    });
    this.fleetRuns.set(`${h.env.name}/${fleet.binding}`, run);
    return run;
  }

  private async migrateDatabases(h: EnvironmentHandle, input: StepInput, signal?: AbortSignal): Promise<MigrateOutput> {
    // Re-read the ledger: a resumed run applies only what is still pending.
    const observed = await observeHandle(this.ws, h, signal);
    for (const [i, d] of observed.entries()) {
      const chunks = chunkMigrations(d.plan.pending);
      const measured = chunks.map((c) => this.preflightMs.get(`${input.environment}/${d.binding}/${c[0]?.name}`));
      const transports = chunkTransports(chunks, d.transport, measured).map((c) => c.transport);
      await applyChunks(withSignal(h.databases[i]!.conn, signal), chunks, { ...applyContextFor(d, this.opts.runId), transports });
    }
    // Seeds after every migration of the stage: they write into the schema the migrations just made.
    for (const [i, d] of observed.entries()) {
      await applySeedChunks(withSignal(h.databases[i]!.conn, signal), chunkMigrations(d.seedPlan.pending), { runId: this.opts.runId, ledgerTable: d.ledgerTable });
    }
    return {
      migrations: (await this.appliedByThisRun(h, signal)).flatMap((a) => a.migrations.map((m) => m.name)),
      seeds: await this.seedsAppliedByThisRun(h, signal),
    };
  }

  /** Seeds this run applied, from promote_seeds itself (a resumed run that repeats migrate reports them too). */
  private async seedsAppliedByThisRun(h: EnvironmentHandle, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    for (const d of h.databases) {
      const state = await readDatabaseState(withSignal(d.conn, signal), d.ledgerTable);
      out.push(...state.seeds.filter((r) => r.run_id === this.opts.runId).map((r) => r.name));
    }
    return out;
  }

  async deploy(input: StepInput, signal?: AbortSignal): Promise<DeployOutput> {
    const h = await this.handle(input.environment);
    if (this.fleetOnly(input.environment)) return { message: 'a sharded run deploys no Worker: the unsharded run after the shards does' };
    if (!h.worker) return {};
    const rollout = rolloutOf(h.env.config);
    if (rollout && h.worker.rollout) return this.deployFirstStep(h, h.worker.rollout, rollout.steps[0]!, input, signal);
    return h.worker.deploy(this.opts.runId, signal);
  }

  /**
   * Uploads the new version and deploys it at the first step beside what serves now. What
   * serves is read first: a resumed run finds its version already in the split and leaves it.
   */
  private async deployFirstStep(h: EnvironmentHandle, r: WorkerRollout, first: number, input: StepInput, signal?: AbortSignal): Promise<DeployOutput> {
    const split = await r.split(signal);
    // Nothing serves yet: there is no old version to split with, so the first version serves everything.
    if (split.versions.length === 0) return h.worker!.deploy(this.opts.runId, signal);
    const { version } = await r.upload(this.opts.runId, input.changeId, signal);
    const old = split.versions.filter((v) => v.id !== version).sort((a, b) => b.percentage - a.percentage)[0]?.id ?? input.stage.previousWorkerVersion;
    if (!old) return { version };
    if (!split.versions.some((v) => v.id === version)) await r.deploySplit({ newVersion: version, oldVersion: old, percentage: first, runId: this.opts.runId }, signal);
    return { version, previousVersion: old };
  }

  async verify(input: StepInput, signal?: AbortSignal, progress?: StepProgress): Promise<VerifyOutput> {
    const h = await this.handle(input.environment);
    const base = h.baseUrl();
    const verifyOptions = {
      ...(signal ? { signal } : {}),
      ...(this.opts.redact ? { redact: this.opts.redact } : {}),
      ...(this.opts.soakIntervalMs !== undefined ? { soakInterval: this.opts.soakIntervalMs } : {}),
    };
    const rollout = rolloutOf(h.env.config);
    const newVersion = input.stage.workerVersion;
    if (rollout && h.worker?.rollout && !input.reverify && newVersion) {
      const walk = await walkRollout({
        rollout,
        worker: h.worker.rollout,
        checks: h.env.config.health,
        baseUrl: base,
        runId: this.opts.runId,
        newVersion,
        ...(input.stage.previousWorkerVersion ? { oldVersion: input.stage.previousWorkerVersion } : {}),
        verify: verifyOptions,
        onStep: (step) => progress?.rolloutStep(step),
      });
      const last = walk.steps.at(-1);
      const detail: StepDetail = { rollout: walk.steps, checks: last?.checks ?? [] };
      if (!walk.ok) {
        const failing = (last?.checks ?? []).filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason ?? 'failed'}`);
        throw new VerificationFailed(`rollout of ${input.environment} failed at ${last?.percentage}%: ${failing.join('; ')}`, detail);
      }
      const observed = await this.observedChange(h);
      return { observedChange: observed === this.expectedChange(h.env) ? input.changeId : observed, detail };
    }
    if (this.fleetOnly(input.environment) && h.worker && !(await h.worker.servingCodeHash())) {
      // Nothing serves yet for the checks to ask; the unsharded run that deploys the Worker checks it.
      const observed = await this.observedChange(h, signal);
      return { observedChange: observed === this.expectedChange(h.env) ? input.changeId : observed, detail: { checks: [], message: 'no Worker serves yet: the health checks run once the unsharded run deploys one' } };
    }
    const outcome = await runHealthChecks(h.env.config.health, base, verifyOptions);
    const detail: StepDetail = { checks: outcome.results };
    if (!outcome.ok) {
      const failing = outcome.results.filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason ?? 'failed'}`);
      throw new VerificationFailed(`verification failed on ${input.environment}: ${failing.join('; ')}`, detail);
    }
    const observed = await this.observedChange(h, signal);
    return { observedChange: observed === this.expectedChange(h.env) ? input.changeId : observed, detail };
  }

  async rollback(input: StepInput, signal?: AbortSignal, progress?: StepProgress): Promise<RollbackOutput> {
    const h = await this.handle(input.environment);
    try {
      const database = mergeRollback(await this.rollbackDatabase(h, input, signal), await this.rollbackFleets(h, input, signal, progress));
      await this.refuseWorkerOnlyAfterContract(h, input, database);
      const worker = h.worker ? await h.worker.rollbackRun(this.opts.runId, signal) : {};
      return { detail: { ...database, ...worker } };
    } catch (e) {
      if (e instanceof RollbackFailedError) throw e;
      throw new RollbackFailedError(
        `rollback of ${input.environment} failed: ${(e as Error).message}`,
        `inspect ${input.environment} with 'promote status --env ${input.environment}', then restore it by hand: promote rollback --env ${input.environment}${input.stage.bookmark ? ` --bookmark ${input.stage.bookmark}` : ''}`,
      );
    }
  }

  /**
   * The previous Worker version cannot run against a contracted schema: when the database keeps
   * a contract migration of this run (rollback.database: none), the Worker is not rolled back alone.
   */
  private async refuseWorkerOnlyAfterContract(h: EnvironmentHandle, input: StepInput, database: StepDetail): Promise<void> {
    if (!h.worker || database.database !== 'none') return;
    const contract = (await this.appliedByThisRun(h)).flatMap((a) => a.migrations).filter((m) => classifyMigration(m).class === 'contract');
    if (contract.length === 0) return;
    throw new RollbackFailedError(
      `${input.environment} keeps the contract migration${contract.length === 1 ? '' : 's'} ${contract.map((m) => m.name).join(', ')} (rollback.database is none), so its Worker was not rolled back alone: the previous version would run against the new schema`,
      `fix forward with a new Worker version, or undo the migration first (rollback files or a bookmark) and then roll the Worker back: promote rollback --env ${input.environment}`,
    );
  }

  private async rollbackDatabase(h: EnvironmentHandle, input: StepInput, signal?: AbortSignal): Promise<StepDetail> {
    const applied = await this.appliedByThisRun(h, signal);
    const all = applied.flatMap((a) => a.migrations);
    const seeds = await this.seedsAppliedByThisRun(h, signal);
    // Seeds have no rollback files: only a bookmark's restore takes them back.
    const seedsStay = seeds.length > 0 ? `; the seeds of this run stay applied (seeds have no rollback files): ${seeds.join(', ')}` : '';
    if (all.length === 0 && (seeds.length === 0 || !input.stage.bookmark || input.rollbackPolicy === 'none' || input.rollbackPolicy === 'down-migrations')) {
      return { database: 'none', message: `no migration was applied by this run${seeds.length === 0 ? ': database unchanged' : seedsStay}` };
    }
    if (input.rollbackPolicy === 'none') {
      return { database: 'none', migrations: all.map((m) => m.name), message: `rollback.database is none: the database keeps the migrations of this run${seedsStay}` };
    }
    const useDown = input.rollbackPolicy === 'down-migrations' || (input.rollbackPolicy === 'auto' && all.length > 0 && missingRollbacks(all).length === 0);
    if (useDown) {
      for (const a of applied) await runDownMigrations(a);
      return { database: 'down-migrations', migrations: all.map((m) => m.name), ...(seedsStay ? { message: seedsStay.slice(2) } : {}) };
    }
    const bookmark = input.stage.bookmark;
    if (!bookmark || input.stage.bookmarkAt === undefined) {
      const advice = noBookmarkAdvice({
        environment: input.environment,
        policy: input.rollbackPolicy === 'auto' ? 'auto' : 'time-travel',
        bookmarkConfigured: this.ws.project.pipeline.stages.some((s) => s.environment === input.environment && s.bookmark),
        applied: all,
        pipelineFile: this.ws.project.pipelineFile,
        hasWorker: h.worker !== undefined,
      });
      throw new RollbackFailedError(advice.message, advice.hint);
    }
    const { restoredAt } = await h.timeTravel.restore(bookmark, signal);
    return { database: 'time-travel', bookmark, lostWritesWindowMs: Math.max(0, restoredAt - input.stage.bookmarkAt), migrations: all.map((m) => m.name) };
  }

  /** Each fleet's tenants this run changed, rolled back one by one (their ledgers say which). */
  private async rollbackFleets(h: EnvironmentHandle, input: StepInput, signal?: AbortSignal, progress?: StepProgress): Promise<StepDetail[]> {
    const out: StepDetail[] = [];
    for (const fleet of h.fleets ?? []) {
      const bookmarks = new Map<string, { id: string; at: number }>();
      for (const [t, o] of this.priorOutcomes(h.env.name, fleet.binding)) if (o.bookmark) bookmarks.set(t, o.bookmark);
      for (const [t, b] of this.fleetRuns.get(`${h.env.name}/${fleet.binding}`)?.bookmarks ?? []) bookmarks.set(t, b);
      const r = await rollbackFleet(this.ws, input.environment, fleet, {
        runId: this.opts.runId,
        policy: input.rollbackPolicy,
        bookmarks,
        concurrency: fleet.fleet.concurrency,
        // A shard undoes its own slice (shard 1: with every canary); the ledgers still decide.
        selection: { ...this.selection(input.environment), canary: fleet.fleet.canary as CanarySetting },
        emit: (e) => progress?.fleet?.(e),
        ...(signal ? { signal } : {}),
      });
      if (r.migrations.length === 0) continue;
      out.push({
        database: r.database,
        migrations: r.migrations,
        ...(r.lostWritesWindowMs !== undefined ? { lostWritesWindowMs: r.lostWritesWindowMs } : {}),
        message:
          input.rollbackPolicy === 'none'
            ? `rollback.database is none: the tenants of ${fleet.binding} keep this run's migrations`
            : `${r.rolledBack} tenant(s) of ${fleet.binding} rolled back (${r.database}); tenants this run did not change were not touched`,
      });
    }
    return out;
  }

  /** What this run applied, from the databases themselves (our metadata carries the run id). */
  private async appliedByThisRun(h: EnvironmentHandle, signal?: AbortSignal) {
    const out: { binding: string; ledgerTable: string; conn: D1Connection; migrations: Migration[] }[] = [];
    for (const d of h.databases) {
      const conn = withSignal(d.conn, signal);
      const state = await readDatabaseState(conn, d.ledgerTable);
      const mine = new Set([...state.meta.values()].filter((m) => m.run_id === this.opts.runId && m.adopted === 0).map((m) => m.name));
      const files = (this.ws.migrations.get(d.migrationsDir) ?? []).filter((m) => mine.has(m.name) && state.ledger.some((r) => r.name === m.name));
      if (files.length > 0) out.push({ binding: d.binding, ledgerTable: d.ledgerTable, conn, migrations: files });
    }
    return out;
  }

  private async observedChange(h: EnvironmentHandle, signal?: AbortSignal): Promise<string> {
    const databases = [];
    for (const d of h.databases) {
      const state = await readDatabaseState(withSignal(d.conn, signal), d.ledgerTable);
      // A retired migration stays in the ledger but has no file, so it is not part of the change.
      const retired = this.ws.retired.get(d.migrationsDir) ?? new Set<string>();
      databases.push({ binding: d.binding, migrations: state.ledger.filter((r) => !retired.has(r.name)).map((r) => ({ name: r.name, checksum: state.meta.get(r.name)?.checksum })) });
    }
    for (const fleet of h.fleets ?? []) databases.push({ binding: fleet.binding, migrations: await this.fleetLedger(h, fleet, signal) });
    const code = h.worker && !this.fleetOnly(h.env.name) ? await h.worker.servingCodeHash() : undefined;
    return changeFingerprint({ databases, ...(code ? { codeHash: code } : {}) });
  }

  /**
   * A fleet's part of the change: the one ledger every tenant holds. From this process's migrate
   * step when it ran (each tenant's ledger was read after its migration), else read tenant by tenant.
   * Tenants that disagree make a ledger no file set has, so the stage verifies a different change.
   */
  private async fleetLedger(h: EnvironmentHandle, fleet: HandleFleet, signal?: AbortSignal): Promise<{ name: string; checksum?: string }[]> {
    const retired = this.ws.retired.get(fleet.migrationsDir) ?? new Set<string>();
    const files = (this.ws.migrations.get(fleet.migrationsDir) ?? []).filter((m) => !retired.has(m.name));
    const newest = files.at(-1)?.name;
    const run = this.fleetRuns.get(`${h.env.name}/${fleet.binding}`);
    if (run && run.outcomes.every((o) => (o.result === 'applied' || o.result === 'unchanged') && o.version === newest)) {
      return files.map((m) => ({ name: m.name, checksum: m.checksum }));
    }
    // A shard answers for its slice alone: the other shards' tenants are theirs to migrate.
    const tenants = selectTenants(await fleet.tenants(signal), { ...this.selection(h.env.name), canary: fleet.fleet.canary as CanarySetting });
    const seen = new Set<string>();
    let one: { name: string; checksum?: string }[] = [];
    await runPool(tenants, fleet.fleet.concurrency, async (tenant) => {
      const { state } = await observeTenant(this.ws, fleet, tenant, signal);
      const ledger = state.ledger.filter((r) => !retired.has(r.name)).map((r) => ({ name: r.name, checksum: state.meta.get(r.name)?.checksum }));
      seen.add(JSON.stringify(ledger));
      one = ledger;
    });
    return seen.size <= 1 ? one : [{ name: `(${seen.size} different ledgers across the tenants)` }];
  }

  async dispose(): Promise<void> {
    for (const t of this.renewals.values()) clearInterval(t);
    this.renewals.clear();
    const handles = await Promise.allSettled([...this.handles.values()]);
    for (const h of handles) if (h.status === 'fulfilled') await h.value.dispose().catch(() => undefined);
    this.handles.clear();
  }
}

/**
 * A sharded run's view of its environment: the fleets, without the single databases, and
 * the Worker watched but never deployed or rolled back (the unsharded run owns it). The
 * canaries' and the verify step's health checks still run against what serves there.
 */
function fleetsOnly(h: EnvironmentHandle): EnvironmentHandle {
  const { worker, workerRollback: _rollback, ...rest } = h;
  const watched: WorkerDeployer | undefined = worker && {
    servingCodeHash: () => worker.servingCodeHash(),
    deploy: () => Promise.reject(new Error('a sharded run deploys no Worker')),
    // It deployed nothing, so there is nothing of its own to undo.
    rollbackRun: async () => ({}),
  };
  return { ...rest, databases: [], ...(watched ? { worker: watched } : {}) };
}

/** One rollback detail for a stage: its single databases' and each fleet's. */
function mergeRollback(single: StepDetail, fleets: readonly StepDetail[]): StepDetail {
  if (fleets.length === 0) return single;
  const singleDid = single.database !== 'none' || (single.migrations?.length ?? 0) > 0;
  const parts = singleDid ? [single, ...fleets] : fleets;
  const migrations = [...new Set(parts.flatMap((p) => p.migrations ?? []))].sort();
  const windows = parts.map((p) => p.lostWritesWindowMs).filter((w): w is number => w !== undefined);
  return {
    ...(singleDid ? single : {}),
    database: parts.find((p) => p.database && p.database !== 'none')?.database ?? 'none',
    migrations,
    ...(windows.length > 0 ? { lostWritesWindowMs: Math.max(...windows) } : {}),
    message: parts.map((p) => p.message).filter(Boolean).join('; '),
  };
}

function pendingKey(stage: PlannedStage): string {
  return stage.databases.flatMap((d) => [...d.pending, ...d.seeds].map((m) => `${d.binding}:${m.name}:${m.checksum}`)).join('\n');
}
