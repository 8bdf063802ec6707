/**
 * `promote rollback --env <env> --to <NNNN>`: undoes, newest first, every
 * migration applied above NNNN with its rollback file, then runs the
 * environment's health checks. Planned read-only first (version-target.ts)
 * and the undos tried on a scratch copy of the schema, refused before anything
 * is written when a migration cannot be undone; then planned again under the
 * environment's lease, because another run may have changed the ledger in
 * between. The Worker is left as it serves.
 */
import { InvalidInputError, LockedError } from '../errors.js';
import type { CheckResult } from '../events/run-events.js';
import { chunkUndos, preflightUndo, undoChunks } from '../ledger/down-migrations.js';
import { META_TABLE, schemaSql } from '../ledger/ledger.js';
import { acquireLease, releaseLease, renewLease } from '../ledger/lease.js';
import { chunkTransports } from '../migrations/transport.js';
import type { Migration } from '../migrations/types.js';
import type { EnvironmentHandle } from '../targets/environment-handle.js';
import { runHealthChecks } from '../verify/health-check.js';
import type { Workspace } from './load-workspace.js';
import { observeHandle } from './observe.js';
import { planRollbackTo, resolveVersionTarget, type DatabaseRollbackPlan, type VersionTarget } from './version-target.js';

export interface VersionRollbackReport {
  environment: string;
  runId: string;
  to: string;
  databases: { binding: string; undone: string[]; kept: string[]; requests: number }[];
  checks: CheckResult[];
  /** The health checks passed afterwards (the CLI exits 4 when not). */
  ok: boolean;
}

export interface VersionRollbackOptions {
  runId: string;
  owner: string;
  lockTtlMs: number;
  redact: (text: string) => string;
  /** After each batch that committed. */
  onUndone?: (binding: string, migrations: readonly Migration[]) => void;
}

export function resolveTargetFor(ws: Workspace, h: EnvironmentHandle, raw: string, command: 'migrate' | 'rollback'): VersionTarget {
  const files = h.databases.flatMap((d) => ws.migrations.get(d.migrationsDir) ?? []);
  const r = resolveVersionTarget(raw, files, { command, environment: h.env.name });
  if (!r.ok) throw new InvalidInputError([r.problem], `${command} --to ${raw} refused; nothing was changed`);
  return r.target;
}

async function planAll(ws: Workspace, h: EnvironmentHandle, target: VersionTarget): Promise<{ plans: DatabaseRollbackPlan[]; meta: boolean[]; schemas: string[][] }> {
  const observed = await observeHandle(ws, h);
  const plans = observed.map((d) => planRollbackTo(d, target, h.env.name));
  const problems = plans.flatMap((p) => p.problems);
  if (problems.length > 0) {
    const names = problems.map((p) => p.file.split('/').at(-1)).join(', ');
    throw new InvalidInputError(problems, `rollback --to ${target.text} refused: ${names} cannot be undone; nothing was changed`);
  }
  return { plans, meta: observed.map((d) => d.state.schema.some((o) => o.type === 'table' && o.name === META_TABLE)), schemas: observed.map((d) => schemaSql(d.state.schema)) };
}

export async function rollbackToVersion(ws: Workspace, h: EnvironmentHandle, raw: string, o: VersionRollbackOptions): Promise<VersionRollbackReport> {
  const env = h.env;
  const target = resolveTargetFor(ws, h, raw, 'rollback');
  // Read-only: a refusal writes nothing, not even the lease row.
  const first = await planAll(ws, h, target);
  let { plans, meta } = first;
  // Every undo tried on a scratch copy of its database's schema before the first one runs.
  for (const [i, p] of plans.entries()) {
    if (p.undo.length === 0) continue;
    const problem = await preflightUndo(await h.databases[i]!.scratch(), first.schemas[i]!, p.undo, { ledgerTable: p.ledgerTable, meta: meta[i]! });
    if (problem) throw new InvalidInputError([problem], `rollback --to ${target.text} refused: preflight failed on ${env.name}/${p.binding}; nothing was changed`);
  }
  const report: VersionRollbackReport = { environment: env.name, runId: o.runId, to: target.text, databases: [], checks: [], ok: false };
  const lockDb = h.databases[0]?.conn;
  if (lockDb && plans.some((p) => p.undo.length > 0)) {
    const lease = await acquireLease(lockDb, o.runId, o.owner, o.lockTtlMs);
    if (!lease.acquired) {
      throw new LockedError(
        `${env.name} is locked by run ${lease.holder.runId} (${lease.holder.owner}; the lease expires in ${Math.max(0, Math.ceil(lease.holder.remainingMs / 1000))} s)`,
        'wait for that run to finish, then roll back; a crashed run\'s lease expires by itself',
      );
    }
    // Renewed while the undos run, so a long rollback file never loses the lock.
    const timer = setInterval(() => void renewLease(lockDb, o.runId, o.lockTtlMs).catch(() => undefined), Math.max(250, o.lockTtlMs / 3));
    timer.unref();
    try {
      // Under the lease: what is applied now (another run may have moved the ledger since the first read).
      ({ plans, meta } = await planAll(ws, h, target));
      for (const [i, p] of plans.entries()) {
        const d = h.databases[i]!;
        const chunks = chunkUndos(p.undo);
        // The rollback files take the endpoint the migrate path would give the same SQL (a trigger goes through import).
        const asRun = chunks.map((c) => c.map((m) => ({ ...m, statements: m.rollback!.statements })));
        const transports = chunkTransports(asRun, d.transport).map((c) => c.transport);
        const undone = await undoChunks(d.conn, chunks, { ledgerTable: p.ledgerTable, meta: meta[i]!, transports }, (chunk) => o.onUndone?.(p.binding, chunk));
        report.databases.push({ binding: p.binding, undone: undone.map((m) => m.name), kept: p.kept, requests: chunks.length });
      }
    } finally {
      clearInterval(timer);
      await releaseLease(lockDb, o.runId).catch(() => undefined);
    }
  } else {
    report.databases = plans.map((p) => ({ binding: p.binding, undone: [], kept: p.kept, requests: 0 }));
  }
  const verify = await runHealthChecks(env.config.health, h.baseUrl(), { redact: o.redact });
  report.checks = verify.results;
  report.ok = verify.ok;
  return report;
}
