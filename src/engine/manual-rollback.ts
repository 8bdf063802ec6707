/**
 * `promote rollback --env <env> [--bookmark <id>]`: by hand what a failed
 * promotion does by itself, on either target, through the same handle the
 * steps use. Database back to a bookmark (the newest known one by default),
 * Worker back to the version before the one serving, then verified.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import { InvalidInputError, LockedError } from '../errors.js';
import type { CheckResult } from '../events/run-events.js';
import { acquireLease, reclaimLease, releaseLease } from '../ledger/lease.js';
import { listRuns, loadRun } from '../runs/run-store.js';
import type { EnvironmentHandle } from '../targets/environment-handle.js';
import { runHealthChecks } from '../verify/health-check.js';

export interface ManualRollbackReport {
  environment: string;
  runId: string;
  bookmark?: string;
  /** Known when the bookmark's time is recorded (local bookmarks, runs of this machine). */
  lostWritesWindowMs?: number;
  /** The Worker version serving now, when it was changed. */
  workerVersion?: string;
  previousWorkerVersion?: string;
  checks: CheckResult[];
  /** The health checks passed after the rollback (the CLI exits 4 when not). */
  ok: boolean;
}

export interface ManualRollbackOptions {
  runId: string;
  owner: string;
  lockTtlMs: number;
  bookmark?: string;
  redact: (text: string) => string;
  /** Called after each part, for the terminal. */
  onProgress?: (line: string) => void;
}

export async function rollbackByHand(root: string, h: EnvironmentHandle, o: ManualRollbackOptions): Promise<ManualRollbackReport> {
  const env = h.env;
  const bookmark = o.bookmark ? { id: o.bookmark, at: recordedBookmarkTime(root, env, o.bookmark) } : await newestBookmark(root, h);
  if (!bookmark && h.databases.length > 0) {
    throw new InvalidInputError(
      [],
      `no bookmark recorded for ${env.name}: nothing to restore the database to (stages with bookmark: true take one before migrating${env.config.target === 'cloudflare' ? '; on cloudflare pass --bookmark <id> from the run summary or the D1 dashboard' : ''})`,
    );
  }
  const lockDb = h.databases[0]?.conn;
  if (lockDb) {
    const lease = await acquireLease(lockDb, o.runId, o.owner, o.lockTtlMs);
    if (!lease.acquired) {
      throw new LockedError(`${env.name} is locked by run ${lease.holder.runId} (${lease.holder.owner})`, 'wait for that run to finish, then roll back');
    }
  }
  const report: ManualRollbackReport = { environment: env.name, runId: o.runId, checks: [], ok: false };
  try {
    if (bookmark) {
      const { restoredAt } = await h.timeTravel.restore(bookmark.id);
      // The restored database holds the lease row as it was at the bookmark: make it ours again so the release below clears it.
      if (lockDb) await reclaimLease(lockDb, o.runId, o.owner, o.lockTtlMs);
      report.bookmark = bookmark.id;
      if (bookmark.at !== undefined) report.lostWritesWindowMs = Math.max(0, restoredAt - bookmark.at);
      o.onProgress?.(
        `${env.name}: database restored to bookmark ${bookmark.id}${report.lostWritesWindowMs !== undefined ? ` (writes of the last ${(report.lostWritesWindowMs / 1000).toFixed(1)} s are gone)` : ''}`,
      );
    }
    if (h.workerRollback) {
      const w = await h.workerRollback.rollbackToPrevious(`manual rollback ${o.runId}`);
      if (w.to) {
        report.workerVersion = w.to;
        if (w.from) report.previousWorkerVersion = w.from;
        o.onProgress?.(`${env.name}: Worker back to version ${w.to} (was ${w.from})`);
      } else {
        o.onProgress?.(`${env.name}: no earlier Worker version; the Worker is unchanged${w.from ? ` (${w.from} keeps serving)` : ''}`);
      }
    }
    const verify = await runHealthChecks(env.config.health, h.baseUrl(), { redact: o.redact });
    report.checks = verify.results;
    report.ok = verify.ok;
    return report;
  } finally {
    if (lockDb) await releaseLease(lockDb, o.runId).catch(() => undefined);
  }
}

async function newestBookmark(root: string, h: EnvironmentHandle): Promise<{ id: string; at?: number } | undefined> {
  return (await h.timeTravel.latest?.()) ?? newestRecordedBookmark(root, h.env);
}

interface RecordedStage {
  environment: string;
  bookmark?: string;
  bookmarkAt?: number;
}

/** Bookmarks this machine's runs took of the environment, newest run first (runs record them in their snapshot). */
function recordedBookmarks(root: string, env: LoadedEnvironment): { id: string; at?: number }[] {
  const out: { id: string; at?: number }[] = [];
  for (const id of listRuns(root)) {
    const results = (loadRun(root, id)?.snapshot as { context?: { results?: RecordedStage[] } } | null)?.context?.results ?? [];
    for (const r of results) if (r.environment === env.name && r.bookmark) out.push({ id: r.bookmark, ...(r.bookmarkAt !== undefined ? { at: r.bookmarkAt } : {}) });
  }
  return out;
}

function newestRecordedBookmark(root: string, env: LoadedEnvironment): { id: string; at?: number } | undefined {
  return recordedBookmarks(root, env)[0];
}

function recordedBookmarkTime(root: string, env: LoadedEnvironment, id: string): number | undefined {
  return recordedBookmarks(root, env).find((b) => b.id === id)?.at;
}
