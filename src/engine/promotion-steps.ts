/**
 * Each machine step as real work on an environment, whatever its target.
 * Every step checks real state before acting (ledger, serving version,
 * bookmark already taken), so a resumed run that repeats a step does no harm.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import { noBookmarkAdvice } from './rollback-advice.js';
import { InvalidInputError, LockedError, OutcomeUnknownError, RollbackFailedError, RunError } from '../errors.js';
import { applyChunks, type ApplyContext } from '../ledger/apply.js';
import { downMigrationStatements, missingRollbacks } from '../ledger/down-migrations.js';
import { readDatabaseState, schemaSql, type LedgerRow } from '../ledger/ledger.js';
import { preflight } from '../ledger/preflight.js';
import type { StepDetail } from '../events/run-events.js';
import type { BookmarkOutput, DeployOutput, MigrateOutput, RollbackOutput, StepInput, VerifyOutput } from '../machine/promotion-machine.js';
import { chunkMigrations, planDatabase } from '../migrations/plan.js';
import type { Migration } from '../migrations/types.js';
import { changeFingerprint } from './change.js';
import type { Workspace } from './load-workspace.js';
import { applyContextFor, observeHandle } from './observe.js';
import { migrationRefusals } from './refusals.js';
import { acquireLease, releaseLease, renewLease } from '../ledger/lease.js';
import { runHealthChecks } from '../verify/health-check.js';
import type { EnvironmentHandle } from '../targets/environment-handle.js';

export interface StepOptions {
  runId: string;
  lockTtlMs: number;
  /** How long to wait for another run's lock before exiting 3 (0: not at all). */
  waitMs: number;
  redact?: (s: string) => string;
  /** Who holds the lease (user@host pid N), from the CLI's settings. */
  owner: string;
  soakIntervalMs?: number;
}

export class VerificationFailed extends RunError {
  constructor(
    message: string,
    readonly detail: StepDetail,
  ) {
    super(message, 'see the failing checks above; the stage was rolled back');
  }
}

/**
 * Down migrations travel as one transaction. When no answer comes back, the
 * ledger tells whether it committed (their rows are gone) before anything is
 * sent again.
 */
async function runDownMigrations(a: { conn: EnvironmentHandle['databases'][number]['conn']; ledgerTable: string; migrations: Migration[] }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await a.conn.batch(downMigrationStatements(a.migrations, a.ledgerTable));
      return;
    } catch (e) {
      if (!(e instanceof OutcomeUnknownError) || attempt >= 3) throw e;
      const ledger = new Set((await readDatabaseState(a.conn, a.ledgerTable)).ledger.map((r) => r.name));
      if (a.migrations.every((m) => !ledger.has(m.name))) return;
    }
  }
}

export class PromotionSteps {
  private readonly handles = new Map<string, Promise<EnvironmentHandle>>();
  private readonly renewals = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ws: Workspace,
    private readonly open: (env: LoadedEnvironment) => Promise<EnvironmentHandle>,
    /** Code hash each environment should end up serving (undefined: no Worker). */
    private readonly expectedCode: (env: LoadedEnvironment) => string | undefined,
    private readonly opts: StepOptions,
  ) {}

  /** What this environment looks like once the change is in: every file applied, this build serving. */
  expectedChange(env: LoadedEnvironment): string {
    const code = this.expectedCode(env);
    return changeFingerprint({
      databases: this.ws.databasesOf(env).map((d) => ({ binding: d.binding, migrations: this.ws.migrations.get(d.migrationsDir) ?? [] })),
      ...(code ? { codeHash: code } : {}),
    });
  }

  handle(name: string): Promise<EnvironmentHandle> {
    let h = this.handles.get(name);
    if (!h) {
      h = this.open(this.ws.project.environments.get(name)!);
      this.handles.set(name, h);
    }
    return h;
  }

  async preflight(input: StepInput): Promise<{ migrations: string[] }> {
    const h = await this.handle(input.environment);
    const observed = await observeHandle(this.ws, h);
    const refusals = migrationRefusals({ env: h.env, databases: observed });
    if (refusals.length > 0) throw new InvalidInputError(refusals);
    const pending = observed.flatMap((d) => d.plan.pending);
    if (input.rollbackPolicy === 'down-migrations') {
      const missing = missingRollbacks(pending);
      if (missing.length > 0) {
        throw new InvalidInputError(
          missing.map((m) => ({
            severity: 'error' as const,
            code: 'E_ROLLBACK_FILE_MISSING',
            file: m.path,
            message: `rollback.database is down-migrations but ${m.name} has no rollback file`,
            hint: `write ${m.path.replace(/[^/]+$/, '')}rollback/${m.name.replace(/\.sql$/, '.rollback.sql')}, or use rollback.database: auto or time-travel`,
          })),
        );
      }
    }
    for (const [i, d] of observed.entries()) {
      const scratch = await h.databases[i]!.scratch();
      const result = await preflight(scratch, schemaSql(d.state.schema), chunkMigrations(d.plan.pending), applyContextFor(d, this.opts.runId));
      if (!result.ok) throw new InvalidInputError([result.problem], `preflight failed on ${input.environment}/${d.binding}; it was not changed`);
    }
    return { migrations: pending.map((m) => m.name) };
  }

  async lock(input: StepInput): Promise<void> {
    const h = await this.handle(input.environment);
    const conn = h.databases[0]?.conn;
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
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(50, deadline - Date.now()))));
    }
    clearInterval(this.renewals.get(input.environment));
    // Renewed while the stage runs, so a long soak never loses the lock.
    const timer = setInterval(() => void renewLease(conn, this.opts.runId, this.opts.lockTtlMs).catch(() => undefined), Math.max(250, this.opts.lockTtlMs / 3));
    timer.unref();
    this.renewals.set(input.environment, timer);
  }

  async unlock(input: StepInput): Promise<void> {
    clearInterval(this.renewals.get(input.environment));
    this.renewals.delete(input.environment);
    const conn = (await this.handle(input.environment)).databases[0]?.conn;
    if (conn) await releaseLease(conn, this.opts.runId);
  }

  /** Releases every lease this run holds (interrupts). */
  async releaseAll(): Promise<void> {
    for (const name of this.handles.keys()) await this.unlock({ environment: name } as StepInput).catch(() => undefined);
  }

  async bookmark(input: StepInput): Promise<BookmarkOutput> {
    const { id, at } = await (await this.handle(input.environment)).timeTravel.bookmark(this.opts.runId);
    return { bookmark: id, at };
  }

  async migrate(input: StepInput): Promise<MigrateOutput> {
    const h = await this.handle(input.environment);
    // Re-read the ledger: a resumed run applies only what is still pending.
    const observed = await observeHandle(this.ws, h);
    if (h.backup && observed.some((d) => d.plan.pending.length > 0)) await h.backup(this.opts.runId);
    for (const [i, d] of observed.entries()) {
      await applyChunks(h.databases[i]!.conn, chunkMigrations(d.plan.pending), applyContextFor(d, this.opts.runId));
    }
    return { migrations: (await this.appliedByThisRun(h)).flatMap((a) => a.migrations.map((m) => m.name)) };
  }

  async deploy(input: StepInput, signal?: AbortSignal): Promise<DeployOutput> {
    const h = await this.handle(input.environment);
    if (!h.worker) return { version: 'none' };
    return h.worker.deploy(this.opts.runId, signal);
  }

  async verify(input: StepInput, signal?: AbortSignal): Promise<VerifyOutput> {
    const h = await this.handle(input.environment);
    const base = h.baseUrl() ?? 'http://invalid.invalid/';
    const outcome = await runHealthChecks(h.env.config.health, base, {
      ...(signal ? { signal } : {}),
      ...(this.opts.redact ? { redact: this.opts.redact } : {}),
      ...(this.opts.soakIntervalMs !== undefined ? { soakInterval: this.opts.soakIntervalMs } : {}),
    });
    const detail: StepDetail = { checks: outcome.results };
    if (!outcome.ok) {
      const failing = outcome.results.filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason ?? 'failed'}`);
      throw new VerificationFailed(`verification failed on ${input.environment}: ${failing.join('; ')}`, detail);
    }
    const observed = await this.observedChange(h);
    return { observedChange: observed === this.expectedChange(h.env) ? input.changeId : observed, detail };
  }

  async rollback(input: StepInput): Promise<RollbackOutput> {
    const h = await this.handle(input.environment);
    try {
      const database = await this.rollbackDatabase(h, input);
      const worker = h.worker ? await h.worker.rollbackRun(this.opts.runId) : {};
      return { detail: { ...database, ...worker } };
    } catch (e) {
      if (e instanceof RollbackFailedError) throw e;
      throw new RollbackFailedError(
        `rollback of ${input.environment} failed: ${(e as Error).message}`,
        `inspect ${input.environment} with 'promote status --env ${input.environment}', then restore it by hand: promote rollback --env ${input.environment}${input.stage.bookmark ? ` --bookmark ${input.stage.bookmark}` : ''}`,
      );
    }
  }

  private async rollbackDatabase(h: EnvironmentHandle, input: StepInput): Promise<StepDetail> {
    const applied = await this.appliedByThisRun(h);
    const all = applied.flatMap((a) => a.migrations);
    if (all.length === 0) return { database: 'none', message: 'no migration was applied by this run: database unchanged' };
    if (input.rollbackPolicy === 'none') {
      return { database: 'none', migrations: all.map((m) => m.name), message: 'rollback.database is none: the database keeps the migrations of this run' };
    }
    const useDown = input.rollbackPolicy === 'down-migrations' || (input.rollbackPolicy === 'auto' && missingRollbacks(all).length === 0);
    if (useDown) {
      for (const a of applied) await runDownMigrations(a);
      return { database: 'down-migrations', migrations: all.map((m) => m.name) };
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
    const { restoredAt } = await h.timeTravel.restore(bookmark);
    return { database: 'time-travel', bookmark, lostWritesWindowMs: Math.max(0, restoredAt - input.stage.bookmarkAt), migrations: all.map((m) => m.name) };
  }

  /** What this run applied, from the databases themselves (our metadata carries the run id). */
  private async appliedByThisRun(h: EnvironmentHandle) {
    const out: { binding: string; ledgerTable: string; conn: EnvironmentHandle['databases'][number]['conn']; migrations: Migration[] }[] = [];
    for (const d of h.databases) {
      const state = await readDatabaseState(d.conn, d.ledgerTable);
      const mine = new Set([...state.meta.values()].filter((m) => m.run_id === this.opts.runId && m.adopted === 0).map((m) => m.name));
      const files = (this.ws.migrations.get(d.migrationsDir) ?? []).filter((m) => mine.has(m.name) && state.ledger.some((r) => r.name === m.name));
      if (files.length > 0) out.push({ binding: d.binding, ledgerTable: d.ledgerTable, conn: d.conn, migrations: files });
    }
    return out;
  }

  private async observedChange(h: EnvironmentHandle): Promise<string> {
    const databases = [];
    for (const d of h.databases) {
      const state = await readDatabaseState(d.conn, d.ledgerTable);
      databases.push({ binding: d.binding, migrations: state.ledger.map((r) => ({ name: r.name, checksum: state.meta.get(r.name)?.checksum })) });
    }
    const code = h.worker ? await h.worker.servingCodeHash() : undefined;
    return changeFingerprint({ databases, ...(code ? { codeHash: code } : {}) });
  }

  async dispose(): Promise<void> {
    for (const t of this.renewals.values()) clearInterval(t);
    this.renewals.clear();
    const handles = await Promise.allSettled([...this.handles.values()]);
    for (const h of handles) if (h.status === 'fulfilled') await h.value.dispose().catch(() => undefined);
    this.handles.clear();
  }
}
