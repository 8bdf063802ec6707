/**
 * Where a run lives on disk: .promote/runs/<runId>/ with the journal (one
 * event per line) and run.json (the machine snapshot after every transition),
 * which is what `promote resume` restarts from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../atomic-write.js';
import type { PromotionInput } from '../machine/promotion-machine.js';

export type RunStatus = 'running' | 'interrupted' | 'finished';

export interface RunRecord {
  machineVersion: number;
  runId: string;
  to: string;
  input: PromotionInput;
  status: RunStatus;
  updatedAt: string;
  /** xstate persisted snapshot. */
  snapshot: unknown;
  exitCode?: number;
  /** Who started (or last resumed) the run: the CI actor, else user@host. */
  triggeredBy?: string;
}

export function runsDir(root: string): string {
  return join(root, '.promote', 'runs');
}

export function runDir(root: string, runId: string): string {
  return join(runsDir(root), runId);
}

export function journalPath(root: string, runId: string): string {
  return join(runDir(root, runId), 'journal.ndjson');
}

/**
 * Written synchronously and atomically (temp file + rename) after every
 * transition: a SIGKILL at any point leaves the previous or the new record,
 * never half of one, and never one that lags behind an event already journaled.
 */
export function saveRun(root: string, record: RunRecord): void {
  writeFileAtomicSync(join(runDir(root, record.runId), 'run.json'), JSON.stringify(record));
}

export function loadRun(root: string, runId: string): RunRecord | undefined {
  const file = join(runDir(root, runId), 'run.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
}

/** Runs newest first (run ids sort by time). */
export function listRuns(root: string): string[] {
  const dir = runsDir(root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.startsWith('r-')).sort().reverse();
}

/** The newest run that did not finish: what `promote resume` picks by default. */
export function latestUnfinished(root: string): RunRecord | undefined {
  for (const id of listRuns(root)) {
    const run = loadRun(root, id);
    if (run && run.status !== 'finished') return run;
  }
  return undefined;
}
