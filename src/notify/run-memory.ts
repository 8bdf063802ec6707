/**
 * What a sink has learned about a run from the events so far: per stage, the
 * steps taken, bookmark, versions, migrations, checks and result. Messages and
 * summaries need this because a `stage.finished` event does not repeat what its
 * steps reported. Pure: `rememberEvent` returns a new memory.
 */
import type { CheckResult, FleetSummary, RunEvent, StageResult, StepDetail, StepName } from '../events/run-events.js';

export type SummaryEvent = Extract<RunEvent, { type: 'summary' }>;

export interface StepRecord {
  step: StepName;
  state: 'started' | 'succeeded' | 'failed';
  startedAt?: string;
  durationMs?: number;
  error?: string;
  detail?: StepDetail;
}

export interface StageMemory {
  environment: string;
  startedAt?: string;
  steps: StepRecord[];
  bookmark?: string;
  workerVersion?: string;
  previousWorkerVersion?: string;
  migrations?: string[];
  seeds?: string[];
  checks?: CheckResult[];
  lostWritesWindowMs?: number;
  result?: StageResult;
  durationMs?: number;
  /** Each fleet's counts and failed tenants, from its fleet-end event. */
  fleets?: FleetSummary[];
}

export interface RunMemory {
  runId?: string;
  pipeline?: string;
  to?: string;
  startedAt?: string;
  dryRun: boolean;
  resumed: boolean;
  stages: StageMemory[];
  interrupted?: string;
  summary?: SummaryEvent;
}

export const emptyMemory: RunMemory = { dryRun: false, resumed: false, stages: [] };

export function recallRun(events: readonly RunEvent[]): RunMemory {
  return events.reduce(rememberEvent, emptyMemory);
}

export function findStage(memory: RunMemory, environment: string): StageMemory | undefined {
  return memory.stages.find((s) => s.environment === environment);
}

export function rememberEvent(memory: RunMemory, event: RunEvent): RunMemory {
  const next: RunMemory = { ...memory, runId: memory.runId ?? event.runId };
  switch (event.type) {
    case 'run.started':
      return {
        ...next,
        pipeline: event.pipeline,
        to: event.to,
        startedAt: event.at,
        dryRun: event.dryRun,
        resumed: event.resumed,
        stages: event.stages.map((environment) => findStage(memory, environment) ?? { environment, steps: [] }),
      };
    case 'step.started':
      return patchStage(next, event.stage, (s) => ({
        ...s,
        startedAt: s.startedAt ?? event.at,
        steps: [...s.steps, { step: event.step, state: 'started', startedAt: event.at }],
      }));
    case 'step.succeeded':
    case 'step.failed': {
      const failed = event.type === 'step.failed';
      return patchStage(next, event.stage, (s) => {
        const record: StepRecord = {
          step: event.step,
          state: failed ? 'failed' : 'succeeded',
          durationMs: event.durationMs,
          ...(failed ? { error: event.error } : {}),
          ...(event.detail ? { detail: event.detail } : {}),
        };
        const open = s.steps.findLastIndex((r) => r.step === event.step && r.state === 'started');
        const steps = open >= 0 ? s.steps.map((r, i) => (i === open ? { ...record, ...(r.startedAt ? { startedAt: r.startedAt } : {}) } : r)) : [...s.steps, record];
        return { ...s, startedAt: s.startedAt ?? event.at, steps, ...learnFrom(event.step, event.detail, s) };
      });
    }
    case 'stage.finished':
      return patchStage(next, event.stage, (s) => ({ ...s, result: event.result, durationMs: event.durationMs }));
    case 'run.interrupted':
      return { ...next, interrupted: event.message };
    case 'rollout.step':
      // The verify step's detail carries every step when it ends; the thread shows that.
      return next;
    case 'fleet-start':
    case 'fleet-canaries':
    case 'tenant':
      // A fleet's tenants are counted once, at fleet-end: a memory of 10,000 tenant events helps no message.
      return next;
    case 'fleet-end': {
      const total = Object.values(event.counts).reduce((a, b) => a + b, 0);
      const fleet: FleetSummary = { binding: event.binding, total, counts: event.counts, failed: event.failed };
      return patchStage(next, event.environment, (s) => ({ ...s, fleets: [...(s.fleets ?? []).filter((f) => f.binding !== event.binding), fleet] }));
    }
    case 'summary': {
      let merged = next;
      for (const st of event.stages) {
        merged = patchStage(merged, st.environment, (s) => ({
          ...s,
          result: st.result,
          durationMs: st.durationMs,
          bookmark: st.bookmark ?? s.bookmark,
          workerVersion: st.workerVersion ?? s.workerVersion,
          migrations: st.migrations.length > 0 || !s.migrations ? st.migrations : s.migrations,
          ...(st.seeds && st.seeds.length > 0 ? { seeds: st.seeds } : s.seeds ? { seeds: s.seeds } : {}),
          lostWritesWindowMs: st.lostWritesWindowMs ?? s.lostWritesWindowMs,
          ...(st.fleets ?? s.fleets ? { fleets: st.fleets ?? s.fleets } : {}),
        }));
      }
      return { ...merged, summary: event };
    }
  }
}

function learnFrom(step: StepName, detail: StepDetail | undefined, s: StageMemory): Partial<StageMemory> {
  if (!detail) return {};
  const learned: Partial<StageMemory> = {};
  if (detail.bookmark) learned.bookmark = detail.bookmark;
  if (detail.migrations && step === 'migrate') learned.migrations = detail.migrations;
  if (detail.seeds && step === 'migrate') learned.seeds = detail.seeds;
  if (detail.workerVersion) learned.workerVersion = detail.workerVersion;
  if (detail.previousWorkerVersion) learned.previousWorkerVersion = detail.previousWorkerVersion;
  if (detail.checks) learned.checks = step === 'reverify' ? s.checks ?? detail.checks : detail.checks;
  if (detail.lostWritesWindowMs !== undefined) learned.lostWritesWindowMs = detail.lostWritesWindowMs;
  return learned;
}

function patchStage(memory: RunMemory, environment: string, patch: (s: StageMemory) => StageMemory): RunMemory {
  const exists = memory.stages.some((s) => s.environment === environment);
  const stages = exists ? memory.stages : [...memory.stages, { environment, steps: [] }];
  return { ...memory, stages: stages.map((s) => (s.environment === environment ? patch(s) : s)) };
}
