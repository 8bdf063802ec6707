/**
 * One run as the dashboard tells it: result, stages with their steps and times,
 * who triggered it, the rollback story, the lost-writes window and the command a
 * person would run next. Pure, from the journal's events (the same memory the
 * Slack messages and the GitHub step summary are built from).
 */
import { describeCheckFailure, describeDetail, describeFailure, describeLostWrites, describeStageResult, formatDuration, oneLine } from '../notify/describe.js';
import { recallRun, type RunMemory } from '../notify/run-memory.js';
import type { RunFiles } from './read-runs.js';

export type RunResultView = 'promoted' | 'rolled-back' | 'failed' | 'interrupted' | 'running' | 'unreadable';

export interface RunView {
  runId: string;
  memory: RunMemory;
  result: RunResultView;
  to?: string;
  startedAt?: string;
  durationMs?: number;
  triggeredBy?: string;
  story: string[];
  lostWrites: string[];
  /** The next thing to run, with why. */
  actions: { why: string; command: string }[];
  unreadable: string[];
  /** The step in flight, for the live view. */
  current?: { stage: string; step: string; since?: string };
}

export function buildRunView(files: RunFiles, now: number = Date.now()): RunView {
  const memory = recallRun(files.events);
  const result: RunResultView = memory.summary
    ? memory.summary.result
    : memory.interrupted
      ? 'interrupted'
      : files.events.length === 0
        ? 'unreadable'
        : (files.record && files.record.status !== 'running') || crashed(files, now)
          ? 'interrupted'
          : 'running';
  const story = memory.stages.flatMap((s) => rollbackStory(memory, s.environment));
  const lostWrites = memory.stages.flatMap((s) => (s.lostWritesWindowMs !== undefined ? [`${s.environment}: ${describeLostWrites(s.bookmark, s.lostWritesWindowMs)}`] : []));
  const actions: RunView['actions'] = [];
  if (memory.summary?.action) actions.push({ why: oneLine(memory.summary.action), command: `promote status` });
  if (result === 'interrupted') actions.push({ why: crashed(files, now) ? 'the run stopped mid-write (its process crashed?)' : 'the run stopped before it finished', command: `promote resume --run ${files.runId}` });
  if (result === 'running' && files.record?.updatedAt && now - Date.parse(files.record.updatedAt) > 10 * 60_000) {
    actions.push({ why: 'no transition for over 10 minutes: if its process died, resume it', command: `promote resume --run ${files.runId}` });
  }
  if (lostWrites.length > 0) actions.push({ why: 'writes made after the bookmark are gone: replay them from your logs if they matter', command: 'promote status' });
  const open = memory.stages.flatMap((s) => s.steps.filter((st) => st.state === 'started').map((st) => ({ stage: s.environment, step: st.step, ...(st.startedAt ? { since: st.startedAt } : {}) }))).at(-1);
  const durationMs = memory.summary?.durationMs ?? (memory.startedAt && result === 'running' ? Math.max(0, now - Date.parse(memory.startedAt)) : undefined);
  return {
    runId: files.runId,
    memory,
    result,
    ...(memory.to ?? files.record?.to ? { to: memory.to ?? files.record?.to } : {}),
    ...(memory.startedAt ? { startedAt: memory.startedAt } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(files.record?.triggeredBy ? { triggeredBy: files.record.triggeredBy } : {}),
    story,
    lostWrites,
    actions,
    unreadable: files.unreadable,
    ...(open && result === 'running' ? { current: open } : {}),
  };
}

/**
 * A line cut off and nothing written for a while: the writer died mid-write. (A live
 * writer appends whole lines, so a torn tail lasts only while a line is being written.)
 */
function crashed(files: RunFiles, now: number): boolean {
  return files.tornTail && files.journalMtimeMs !== undefined && now - files.journalMtimeMs > 5000;
}

/** The rollback story of one stage in sentences: what failed, what was undone, whether it is healthy again. */
function rollbackStory(memory: RunMemory, environment: string): string[] {
  const stage = memory.stages.find((s) => s.environment === environment)!;
  const rollback = stage.steps.find((s) => s.step === 'rollback' && s.state !== 'started');
  if (!rollback) return [];
  const out: string[] = [];
  const failedStep = stage.steps.find((s) => s.state === 'failed' && s.step !== 'rollback' && s.step !== 'reverify');
  if (failedStep) {
    const checks = failedStep.detail?.checks?.filter((c) => !c.ok) ?? [];
    const why = checks.length > 0 ? checks.map(describeCheckFailure) : describeFailure(failedStep.step, failedStep.error ?? '', failedStep.detail);
    out.push(`${environment}: ${failedStep.step} failed: ${why.join('; ')}`);
  }
  if (rollback.state === 'failed') {
    out.push(`${environment}: the rollback failed: ${describeFailure('rollback', rollback.error ?? '', rollback.detail).join('; ')}`);
    return out;
  }
  out.push(`${environment}: rolled back in ${formatDuration(rollback.durationMs ?? 0)}: ${describeDetail('rollback', rollback.detail)}`);
  const reverify = stage.steps.find((s) => s.step === 'reverify' && s.state !== 'started');
  if (reverify) out.push(`${environment}: after the rollback, verification ${reverify.state === 'failed' ? 'failed again' : 'passed'}`);
  if (stage.result) out.push(`${environment}: ${describeStageResult(stage.result)}`);
  return out;
}

/** Per environment, what the run history says serves there now and what served before. */
export interface DeployedFromRuns {
  current?: string;
  previous?: string;
  bookmark?: string;
  lastRun?: { runId: string; result: string };
}

export function deployedFromRuns(runs: readonly RunView[], environment: string): DeployedFromRuns {
  // runs are newest first
  const out: DeployedFromRuns = {};
  for (const run of runs) {
    const stage = run.memory.stages.find((s) => s.environment === environment && s.steps.length > 0);
    if (!stage) continue;
    out.lastRun ??= { runId: run.runId, result: stage.result ? describeStageResult(stage.result) : run.result };
    out.bookmark ??= stage.bookmark;
    if (out.current === undefined && stage.workerVersion) {
      // A rolled-back stage put the previous version back.
      if (stage.result === 'rolled-back') {
        out.current = stage.previousWorkerVersion;
        out.previous = stage.workerVersion;
      } else {
        out.current = stage.workerVersion;
        out.previous = stage.previousWorkerVersion;
      }
    }
    if (out.current !== undefined && out.bookmark !== undefined) break;
  }
  return out;
}
