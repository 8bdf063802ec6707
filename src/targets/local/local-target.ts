/**
 * The local target's side of a promotion: each machine step as real work on
 * an environment's Miniflare. Every step checks real state before acting
 * (ledger, serving version, bookmark already taken) so a resumed run that
 * repeats a step does no harm.
 */
import { join } from 'node:path';
import type { LoadedEnvironment, LocalEnvironment } from '../../config/schema.js';
import { InvalidInputError, LockedError, RollbackFailedError, RunError } from '../../errors.js';
import { applyChunks, type ApplyContext } from '../../ledger/apply.js';
import { downMigrationStatements, missingRollbacks } from '../../ledger/down-migrations.js';
import { readDatabaseState, schemaSql } from '../../ledger/ledger.js';
import { preflight } from '../../ledger/preflight.js';
import type { StepDetail } from '../../machine/events.js';
import type { BookmarkOutput, DeployOutput, MigrateOutput, RollbackOutput, StepInput, VerifyOutput } from '../../machine/promotion-machine.js';
import { chunkMigrations } from '../../migrations/plan.js';
import type { Migration } from '../../migrations/types.js';
import { changeFingerprint } from '../../project/change.js';
import type { Workspace } from '../../project/load-workspace.js';
import { observeEnvironment } from '../../project/observe.js';
import { migrationRefusals } from '../../project/refusals.js';
import { acquireLease, describeOwner, releaseLease, renewLease } from '../../runs/lease.js';
import { runHealthChecks } from '../../verify/health-check.js';
import { BookmarkStore } from './bookmarks.js';
import { LocalEnvironmentRuntime, NOTHING_DEPLOYED, type ServedWorker } from './local-environment.js';
import { buildWorker, type WorkerBuild } from './worker-build.js';
import { WorkerVersionStore, type WorkerVersion } from './worker-versions.js';

export interface LocalTargetOptions {
  runId: string;
  lockTtlMs: number;
  /** How long to wait for another run's lock before exiting 3 (0: not at all). */
  waitMs: number;
  redact?: (s: string) => string;
  /** Verification soak interval override (tests). */
  soakIntervalMs?: number;
}

class VerificationFailed extends RunError {
  constructor(
    message: string,
    readonly detail: StepDetail,
  ) {
    super(message, 'see the failing checks above; the stage was rolled back');
  }
}

interface EnvState {
  env: LoadedEnvironment;
  config: LocalEnvironment;
  runtime: LocalEnvironmentRuntime;
  versions: WorkerVersionStore;
  bookmarks: BookmarkStore;
  renew?: NodeJS.Timeout;
}

export function environmentDir(root: string, name: string): string {
  return join(root, '.promote', 'envs', name);
}

export async function servedWorkerOf(store: WorkerVersionStore, version: WorkerVersion | undefined): Promise<ServedWorker | 'nothing-deployed'> {
  if (!version) return 'nothing-deployed';
  return {
    code: await store.code(version.id),
    compatibilityDate: version.compatibilityDate,
    compatibilityFlags: version.compatibilityFlags,
    vars: version.vars,
  };
}

export class LocalPromotionTarget {
  private readonly envs = new Map<string, Promise<EnvState>>();

  private constructor(
    private readonly ws: Workspace,
    private readonly builds: Map<string, WorkerBuild>,
    private readonly opts: LocalTargetOptions,
  ) {}

  /**
   * Builds every stage's Worker before anything is touched: a build error is
   * invalid input (exit 2), found while every environment is still unchanged.
   */
  static async prepare(ws: Workspace, stages: readonly LoadedEnvironment[], opts: LocalTargetOptions) {
    const builds = new Map<string, WorkerBuild>();
    const problems = [];
    for (const e of stages) {
      if (e.config.target !== 'local') {
        throw new InvalidInputError([
          { severity: 'error', code: 'E_TARGET_UNSUPPORTED', file: e.file, line: 1, message: `target ${e.config.target} is not available in this version of promote`, hint: 'use target: local' },
        ]);
      }
      if (!e.config.worker) continue;
      try {
        builds.set(e.name, await buildWorker(ws.project.root, e.config.worker));
      } catch (err) {
        if (err instanceof InvalidInputError) problems.push(...err.problems);
        else throw err;
      }
    }
    if (problems.length > 0) throw new InvalidInputError(problems);
    const target = new LocalPromotionTarget(ws, builds, opts);
    const expected = stages.map((e) => target.expectedChange(e));
    return { target, expected };
  }

  /** What this environment looks like once the change is in: every file applied, this build serving. */
  expectedChange(env: LoadedEnvironment): string {
    return changeFingerprint({
      databases: this.ws.databasesOf(env).map((d) => ({ binding: d.binding, migrations: this.ws.migrations.get(d.migrationsDir) ?? [] })),
      ...(this.builds.get(env.name) ? { codeHash: this.builds.get(env.name)!.codeHash } : {}),
    });
  }

  private state(name: string): Promise<EnvState> {
    let s = this.envs.get(name);
    if (!s) {
      s = (async () => {
        const env = this.ws.project.environments.get(name)!;
        const config = env.config as LocalEnvironment;
        const dir = environmentDir(this.ws.project.root, name);
        const versions = new WorkerVersionStore(join(dir, 'workers'));
        const serving = config.worker ? await servedWorkerOf(versions, await versions.current()) : undefined;
        const runtime = await LocalEnvironmentRuntime.start(this.ws.project.root, name, config, serving ? { worker: serving } : {});
        return { env, config, runtime, versions, bookmarks: new BookmarkStore(join(dir, 'bookmarks'), name) };
      })();
      this.envs.set(name, s);
    }
    return s;
  }

  /** Worker URL of a started environment (for messages and links). */
  async url(name: string): Promise<string> {
    return (await this.state(name)).runtime.url.toString();
  }

  async preflight(input: StepInput): Promise<{ migrations: string[] }> {
    const s = await this.state(input.environment);
    const observed = await observeEnvironment(this.ws, s.env, { start: true, runtime: s.runtime });
    const refusals = migrationRefusals(observed);
    if (refusals.length > 0) throw new InvalidInputError(refusals);
    const pending = observed.databases.flatMap((d) => d.plan.pending);
    if (input.rollbackPolicy === 'down-migrations') {
      const missing = missingRollbacks(pending);
      if (missing.length > 0) {
        throw new InvalidInputError(
          missing.map((m) => ({
            severity: 'error' as const,
            code: 'E_ROLLBACK_FILE_MISSING',
            file: m.path,
            message: `rollback.database is down-migrations but ${m.name} has no rollback file`,
            hint: `write migrations/rollback/${m.name.replace(/\.sql$/, '.rollback.sql')}, or use rollback.database: auto or time-travel`,
          })),
        );
      }
    }
    for (const d of observed.databases) {
      const ctx = this.applyContext(d.ledgerTable, d.plan.adoptable, d.state.ledger);
      const result = await preflight(s.runtime.scratch(d.binding), schemaSql(d.state.schema), chunkMigrations(d.plan.pending), ctx);
      if (!result.ok) throw new InvalidInputError([result.problem], `preflight failed on ${input.environment}/${d.binding}; it was not changed`);
    }
    return { migrations: pending.map((m) => m.name) };
  }

  async lock(input: StepInput): Promise<void> {
    const s = await this.state(input.environment);
    const conn = this.lockConnection(s);
    if (!conn) return;
    const deadline = Date.now() + this.opts.waitMs;
    for (;;) {
      const result = await acquireLease(conn, this.opts.runId, describeOwner(), this.opts.lockTtlMs);
      if (result.acquired) break;
      if (Date.now() >= deadline) {
        const h = result.holder;
        throw new LockedError(
          `${input.environment} is locked by run ${h.runId} (${h.owner}, since ${h.acquiredAt}; the lease expires in ${Math.max(0, Math.ceil(h.remainingMs / 1000))} s)`,
          'wait for that run to finish, or pass --wait <duration> to queue behind it; a crashed run\'s lease expires by itself',
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(50, deadline - Date.now()))));
    }
    clearInterval(s.renew);
    // Renewed while the stage runs, so a long soak never loses the lock.
    s.renew = setInterval(() => void renewLease(conn, this.opts.runId, this.opts.lockTtlMs).catch(() => undefined), Math.max(250, this.opts.lockTtlMs / 3));
    s.renew.unref();
  }

  async unlock(input: StepInput): Promise<void> {
    const s = await this.state(input.environment);
    clearInterval(s.renew);
    const conn = this.lockConnection(s);
    if (conn) await releaseLease(conn, this.opts.runId);
  }

  /** Releases every lease this run holds (interrupts). */
  async releaseAll(): Promise<void> {
    for (const [name] of this.envs) await this.unlock({ environment: name } as StepInput).catch(() => undefined);
  }

  async bookmark(input: StepInput): Promise<BookmarkOutput> {
    const s = await this.state(input.environment);
    const meta = await s.bookmarks.take(s.runtime, s.config.databases.map((d) => d.binding), this.opts.runId);
    return { bookmark: meta.id, at: meta.takenAt };
  }

  async migrate(input: StepInput): Promise<MigrateOutput> {
    const s = await this.state(input.environment);
    // Re-read the ledger: a resumed run applies only what is still pending.
    const observed = await observeEnvironment(this.ws, s.env, { start: true, runtime: s.runtime });
    for (const d of observed.databases) {
      const ctx = this.applyContext(d.ledgerTable, d.plan.adoptable, d.state.ledger);
      await applyChunks(s.runtime.database(d.binding), chunkMigrations(d.plan.pending), ctx);
    }
    return { migrations: await this.appliedByThisRun(s) };
  }

  async deploy(input: StepInput): Promise<DeployOutput> {
    const s = await this.state(input.environment);
    const build = this.builds.get(input.environment);
    if (!build) return { version: 'none' };
    const { version, previous } = await s.versions.deploy(build, { runId: this.opts.runId, message: `promote ${this.opts.runId}` });
    await s.runtime.serve((await servedWorkerOf(s.versions, version)) as ServedWorker);
    return { version: version.id, ...(previous ? { previousVersion: previous.id } : {}) };
  }

  async verify(input: StepInput, signal?: AbortSignal): Promise<VerifyOutput> {
    const s = await this.state(input.environment);
    const outcome = await runHealthChecks(s.config.health, s.runtime.url.toString(), {
      ...(signal ? { signal } : {}),
      ...(this.opts.redact ? { redact: this.opts.redact } : {}),
      ...(this.opts.soakIntervalMs !== undefined ? { soakInterval: this.opts.soakIntervalMs } : {}),
    });
    const detail: StepDetail = { checks: outcome.results };
    if (!outcome.ok) {
      const failing = outcome.results.filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason ?? 'failed'}`);
      throw new VerificationFailed(`verification failed on ${input.environment}: ${failing.join('; ')}`, detail);
    }
    const observed = await this.observedChange(s);
    return { observedChange: observed === this.expectedChange(s.env) ? input.changeId : observed, detail };
  }

  async rollback(input: StepInput): Promise<RollbackOutput> {
    const s = await this.state(input.environment);
    try {
      const detail: StepDetail = { ...(await this.rollbackDatabase(s, input)), ...(await this.rollbackWorker(s)) };
      return { detail };
    } catch (e) {
      if (e instanceof RollbackFailedError) throw e;
      throw new RollbackFailedError(
        `rollback of ${input.environment} failed: ${(e as Error).message}`,
        `inspect ${input.environment} with 'promote status --env ${input.environment}', then restore it by hand: promote rollback --env ${input.environment}${input.stage.bookmark ? ` --bookmark ${input.stage.bookmark}` : ''}`,
      );
    }
  }

  private async rollbackDatabase(s: EnvState, input: StepInput): Promise<StepDetail> {
    const applied = await this.appliedMigrationsOf(s);
    if (applied.length === 0) return { database: 'none', message: 'no migration was applied by this run: database unchanged' };
    const all = applied.flatMap((a) => a.migrations);
    const useDown = input.rollbackPolicy === 'down-migrations' || (input.rollbackPolicy === 'auto' && missingRollbacks(all).length === 0);
    if (input.rollbackPolicy === 'none') {
      return { database: 'none', migrations: all.map((m) => m.name), message: 'rollback.database is none: the database keeps the migrations of this run' };
    }
    if (useDown) {
      for (const a of applied) await s.runtime.database(a.binding).batch(downMigrationStatements(a.migrations, a.ledgerTable));
      return { database: 'down-migrations', migrations: all.map((m) => m.name) };
    }
    const bookmark = input.stage.bookmark;
    if (!bookmark || input.stage.bookmarkAt === undefined) {
      throw new RollbackFailedError(
        `${input.environment} has no bookmark to restore, and ${all.filter((m) => !m.rollback).map((m) => m.name).join(', ') || 'its migrations'} cannot be undone with rollback files: the database keeps this run's migrations (${all.map((m) => m.name).join(', ')})`,
        `decide by hand: fix forward with a new migration, or undo them with SQL; to have this done automatically, set bookmark: true on the ${input.environment} stage or add rollback files`,
      );
    }
    const { restoredAt } = await s.bookmarks.restore(s.runtime, bookmark);
    return { database: 'time-travel', bookmark, lostWritesWindowMs: Math.max(0, restoredAt - input.stage.bookmarkAt), migrations: all.map((m) => m.name) };
  }

  /** Back to the version that served before this run's first deployment. */
  private async rollbackWorker(s: EnvState): Promise<StepDetail> {
    const deployments = await s.versions.deployments();
    const first = deployments.findIndex((d) => d.runId === this.opts.runId);
    if (first < 0) return {};
    const before = deployments[first - 1];
    if (!before) {
      await s.runtime.serve(NOTHING_DEPLOYED);
      return { message: 'the Worker had no earlier version: it no longer serves this one' };
    }
    const version = await s.versions.rollbackTo(before.versionId, { runId: this.opts.runId, message: `rollback by ${this.opts.runId}` });
    await s.runtime.serve((await servedWorkerOf(s.versions, version)) as ServedWorker);
    return { workerVersion: version.id };
  }

  private async appliedMigrationsOf(s: EnvState): Promise<{ binding: string; ledgerTable: string; migrations: Migration[] }[]> {
    const out = [];
    for (const d of this.ws.databasesOf(s.env)) {
      const conn = s.runtime.database(d.binding);
      const state = await readDatabaseState(conn, d.ledgerTable);
      const mine = new Set([...state.meta.values()].filter((m) => m.run_id === this.opts.runId && m.adopted === 0).map((m) => m.name));
      const files = (this.ws.migrations.get(d.migrationsDir) ?? []).filter((m) => mine.has(m.name) && state.ledger.some((r) => r.name === m.name));
      if (files.length > 0) out.push({ binding: d.binding, ledgerTable: d.ledgerTable, migrations: files });
    }
    return out;
  }

  private async appliedByThisRun(s: EnvState): Promise<string[]> {
    return (await this.appliedMigrationsOf(s)).flatMap((a) => a.migrations.map((m) => m.name));
  }

  private async observedChange(s: EnvState): Promise<string> {
    const databases = [];
    for (const d of this.ws.databasesOf(s.env)) {
      const state = await readDatabaseState(s.runtime.database(d.binding), d.ledgerTable);
      databases.push({ binding: d.binding, migrations: state.ledger.map((r) => ({ name: r.name, checksum: state.meta.get(r.name)?.checksum })) });
    }
    const current = await s.versions.current();
    return changeFingerprint({ databases, ...(current && s.config.worker ? { codeHash: current.codeHash } : {}) });
  }

  private applyContext(ledgerTable: string, adoptable: readonly Migration[], ledger: readonly { name: string; applied_at: string; id: number }[]): ApplyContext {
    return {
      ledgerTable,
      runId: this.opts.runId,
      adopt: adoptable.map((m) => ({ migration: m, ledger: ledger.find((r) => r.name === m.name) })),
    };
  }

  private lockConnection(s: EnvState) {
    const first = s.config.databases[0];
    return first ? s.runtime.database(first.binding) : undefined;
  }

  async dispose(): Promise<void> {
    const states = await Promise.allSettled([...this.envs.values()]);
    for (const st of states) {
      if (st.status !== 'fulfilled') continue;
      clearInterval(st.value.renew);
      await st.value.runtime.dispose().catch(() => undefined);
    }
    this.envs.clear();
  }
}

