/**
 * Drives one promotion: the machine with the target's actors, every
 * transition turned into a RunEvent for the sinks and persisted for resume,
 * and Ctrl-C handled at a safe point (between steps).
 */
import { createActor, toPromise } from 'xstate';
import type { FleetSummary, RunEvent, RunSink, StageSummary, StepName, StepProgress } from '../events/run-events.js';

export type { StepProgress } from '../events/run-events.js';
import {
  MACHINE_VERSION,
  createPromotionMachine,
  providePromotionMachine,
  type StepImplementations,
  type PromotionContext,
  type PromotionInput,
  type PromotionOutput,
  type StepEmitted,
  type StepInput,
} from '../machine/promotion-machine.js';
import { saveRun } from '../runs/run-store.js';

export type StepActors = StepImplementations;

export interface RunPromotionOptions {
  root: string;
  pipeline: string;
  to: string;
  input: PromotionInput;
  actors: StepActors;
  sink: RunSink;
  /** Persisted snapshot to resume from. */
  snapshot?: unknown;
  /** Install SIGINT/SIGTERM handlers (the CLI does; tests driving it in-process may not). */
  handleSignals?: boolean;
  /** Releases every lock this run holds; called when interrupted. */
  releaseLocks: () => Promise<void>;
  /** Re-takes the lock of the stage a resumed run stopped in, before continuing it. */
  relock?: (environment: string) => Promise<void>;
  /** Recorded in run.json for the dashboard. */
  triggeredBy?: string;
}

export interface RunOutcome {
  exitCode: number;
  summary: Extract<RunEvent, { type: 'summary' }>;
}

const STATE_TO_STEP: Record<string, StepName | undefined> = {
  preflight: 'preflight',
  lock: 'lock',
  backup: 'backup',
  bookmark: 'bookmark',
  migrate: 'migrate',
  deploy: 'deploy',
  verify: 'verify',
  unlock: 'unlock',
  rollback: 'rollback',
  reverify: 'reverify',
  unlockRolledBack: 'unlock',
  unlockFailed: 'unlock',
  unlockRollbackFailed: 'unlock',
};

/** Steps that run while the stage's lock must be held. */
const LOCKED_STATES = new Set(['backup', 'bookmark', 'migrate', 'deploy', 'verify', 'rollback', 'reverify']);

export const INTERRUPTED_EXIT_CODE = 130;

function position(value: unknown): { stage?: string; state?: string } {
  if (typeof value !== 'object' || value === null) return {};
  const [key, sub] = Object.entries(value as Record<string, unknown>)[0] ?? [];
  if (!key?.startsWith('stage:')) return {};
  return { stage: key.slice('stage:'.length), state: typeof sub === 'string' ? sub : undefined };
}

export async function runPromotion(o: RunPromotionOptions): Promise<RunOutcome> {
  const startedAt = performance.now();
  const iso = () => new Date().toISOString();
  const base = { runId: o.input.runId };
  const emitEvent = (event: RunEvent) => void o.sink.write(event);

  /** Each stage's fleets as their last fleet-end said, for the summary. */
  const fleets = new Map<string, FleetSummary[]>();
  const machine = providePromotionMachine(createPromotionMachine(o.input.stages), o.actors, (input): StepProgress => ({
    rolloutStep: (step) => emitEvent({ ...base, type: 'rollout.step', at: iso(), stage: input.environment, step }),
    fleet: (e) => {
      if (e.type === 'fleet-end') {
        const total = Object.values(e.counts).reduce((a, b) => a + b, 0);
        const list = (fleets.get(e.environment) ?? []).filter((f) => f.binding !== e.binding);
        fleets.set(e.environment, [...list, { binding: e.binding, total, counts: e.counts, failed: e.failed }]);
      } else if (e.type === 'tenant' && e.status === 'rolled-back') {
        // A rollback after fleet-end moves the tenant from applied to rolled-back in the summary's counts.
        const f = fleets.get(e.environment)?.find((x) => x.binding === e.binding);
        if (f && f.counts.applied > 0) f.counts = { ...f.counts, applied: f.counts.applied - 1, 'rolled-back': f.counts['rolled-back'] + 1 };
      }
      emitEvent({ ...base, at: iso(), ...e } as RunEvent);
    },
  }));
  const actor = createActor(machine, {
    input: o.input,
    ...(o.snapshot ? { snapshot: o.snapshot as never } : {}),
  });

  if (o.snapshot && o.relock) {
    const { stage, state } = position((o.snapshot as { value?: unknown }).value);
    if (stage && state && LOCKED_STATES.has(state)) await o.relock(stage);
  }

  const stepStarted = new Map<string, number>();
  const stageStarted = new Map<string, number>();
  const stageDuration = new Map<string, number>();
  let last: { stage?: string; state?: string } = {};
  let lastResults: PromotionContext['results'] = [];
  let stopRequested = false;
  let resolveStop: (() => void) | undefined;
  const stopped = new Promise<void>((r) => (resolveStop = r));

  const persist = (status: 'running' | 'interrupted' | 'finished', exitCode?: number, snapshot: unknown = actor.getPersistedSnapshot()) =>
    saveRun(o.root, {
      machineVersion: MACHINE_VERSION,
      runId: o.input.runId,
      to: o.to,
      input: o.input,
      status,
      updatedAt: iso(),
      snapshot,
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(o.triggeredBy ? { triggeredBy: o.triggeredBy } : {}),
    });

  // Recorded before anything happens, so a run killed at any point can be resumed
  // (with no snapshot yet, a resume starts the machine over: every step is idempotent).
  if (!o.snapshot) persist('running', undefined, null);
  emitEvent({ ...base, type: 'run.started', at: iso(), pipeline: o.pipeline, to: o.to, stages: o.input.stages.map((s) => s.environment), dryRun: false, resumed: Boolean(o.snapshot) });

  actor.on('step.done', (e: StepEmitted) => {
    const started = stepStarted.get(`${e.stage}:${e.step}`) ?? performance.now();
    const durationMs = Math.round(performance.now() - started);
    if (e.ok) emitEvent({ ...base, type: 'step.succeeded', at: iso(), stage: e.stage, step: e.step, durationMs, ...(e.detail ? { detail: e.detail } : {}) });
    else emitEvent({ ...base, type: 'step.failed', at: iso(), stage: e.stage, step: e.step, durationMs, error: e.error ?? 'failed', ...(e.detail ? { detail: e.detail } : {}) });
  });

  actor.subscribe({
    next: (snapshot) => {
      const context = snapshot.context as PromotionContext;
      // stage results that appeared with this transition
      context.results.forEach((r, i) => {
        if (r.result && !lastResults[i]?.result) {
          const durationMs = Math.round(performance.now() - (stageStarted.get(r.environment) ?? performance.now()));
          stageDuration.set(r.environment, durationMs);
          emitEvent({ ...base, type: 'stage.finished', at: iso(), stage: r.environment, result: r.result, durationMs });
        }
      });
      lastResults = context.results;
      const now = position(snapshot.value);
      if (now.stage !== last.stage || now.state !== last.state) {
        if (now.stage && !stageStarted.has(now.stage)) stageStarted.set(now.stage, performance.now());
        const step = now.state ? STATE_TO_STEP[now.state] : undefined;
        if (now.stage && step) {
          stepStarted.set(`${now.stage}:${step}`, performance.now());
          // A safe point: the previous step finished and this one has not done anything yet.
          if (stopRequested) {
            persist('interrupted');
            resolveStop?.();
            return;
          }
          emitEvent({ ...base, type: 'step.started', at: iso(), stage: now.stage, step });
        }
        last = now;
      }
      if (snapshot.status === 'active') persist('running');
    },
    error: () => undefined,
  });

  let signalCount = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalCount += 1;
    stopRequested = true;
    // GitHub sends SIGINT, then SIGTERM 7.5 s later: the second signal stops at once.
    if (signal === 'SIGTERM' || signalCount > 1) {
      persist('interrupted');
      resolveStop?.();
    }
  };
  if (o.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  actor.start();
  try {
    const done = toPromise(actor).then((output) => ({ kind: 'done' as const, output: output as PromotionOutput }));
    const result = await Promise.race([done, stopped.then(() => ({ kind: 'stopped' as const }))]);
    if (result.kind === 'stopped') {
      actor.stop();
      await o.releaseLocks().catch(() => undefined);
      const { stage, state } = last;
      emitEvent({
        ...base,
        type: 'run.interrupted',
        at: iso(),
        ...(stage ? { stage } : {}),
        ...(state && STATE_TO_STEP[state] ? { step: STATE_TO_STEP[state] } : {}),
        message: `interrupted; locks released. Finish it with: promote resume --run ${o.input.runId}`,
      });
      const summary = buildSummary(o, (actor.getSnapshot().context as PromotionContext).results, stageDuration, startedAt, fleets, {
        result: 'interrupted',
        exitCode: INTERRUPTED_EXIT_CODE,
        message: `interrupted at ${stage ?? 'start'}${state ? `.${state}` : ''}`,
        action: `promote resume --run ${o.input.runId}`,
      });
      emitEvent(summary);
      return { exitCode: INTERRUPTED_EXIT_CODE, summary };
    }
    const { exitCode, message, action } = outcomeOf(result.output);
    persist('finished', exitCode);
    const summary = buildSummary(o, result.output.stages, stageDuration, startedAt, fleets, {
      result: result.output.outcome === 'rollback-failed' ? 'failed' : result.output.outcome,
      exitCode,
      ...(message ? { message } : {}),
      ...(action ? { action } : {}),
    });
    emitEvent(summary);
    return { exitCode, summary };
  } finally {
    if (o.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

function outcomeOf(output: PromotionOutput): { exitCode: number; message?: string; action?: string } {
  const f = output.failure;
  switch (output.outcome) {
    case 'promoted':
      return { exitCode: 0 };
    case 'rolled-back':
      return { exitCode: 1, message: `${f?.stage} failed at ${f?.step}: ${f?.message}; rolled back and verified again` };
    case 'rollback-failed': {
      const r = output.rollbackFailure;
      return {
        exitCode: 4,
        message: `${f?.stage} failed at ${f?.step}: ${f?.message}; then the rollback failed at ${r?.step}: ${r?.message}`,
        // After reverify, the failing checks' own hint ("the stage was rolled back") would hide that it is still unhealthy.
        action:
          r?.step === 'reverify'
            ? `${f?.stage} is still unhealthy after the rollback: the rollback step above says what serves there; fix it and promote again (promote status --env ${f?.stage})`
            : r?.hint ?? `inspect ${f?.stage} (promote status --env ${f?.stage}) and restore it by hand (promote rollback --env ${f?.stage})`,
      };
    }
    default:
      return {
        exitCode: f?.exitCode && f.exitCode !== 0 ? f.exitCode : 1,
        ...(f ? { message: `${f.stage} failed at ${f.step}: ${f.message}` } : {}),
        ...(f?.hint ? { action: f.hint } : {}),
      };
  }
}

function buildSummary(
  o: RunPromotionOptions,
  results: PromotionContext['results'],
  durations: Map<string, number>,
  startedAt: number,
  fleets: ReadonlyMap<string, FleetSummary[]>,
  outcome: { result: 'promoted' | 'rolled-back' | 'failed' | 'interrupted'; exitCode: number; message?: string; action?: string },
): Extract<RunEvent, { type: 'summary' }> {
  const stages: StageSummary[] = o.input.stages.map((plan, i) => {
    const r = results[i];
    return {
      environment: plan.environment,
      result: r?.result ?? 'skipped',
      ...(r?.bookmark ? { bookmark: r.bookmark } : {}),
      ...(r?.backups?.length ? { backups: r.backups } : {}),
      migrations: r?.migrations ?? [],
      seeds: r?.seeds ?? [],
      durationMs: durations.get(plan.environment) ?? 0,
      ...(r?.workerVersion ? { workerVersion: r.workerVersion } : {}),
      ...(r?.lostWritesWindowMs !== undefined ? { lostWritesWindowMs: r.lostWritesWindowMs } : {}),
      ...(r?.rollout ? { rollout: r.rollout } : {}),
      ...(r?.warnings && r.warnings.length > 0 ? { warnings: r.warnings } : {}),
      ...(fleets.has(plan.environment) ? { fleets: fleets.get(plan.environment)! } : {}),
    };
  });
  return {
    type: 'summary',
    result: outcome.result,
    runId: o.input.runId,
    stages,
    at: new Date().toISOString(),
    exitCode: outcome.exitCode,
    durationMs: Math.round(performance.now() - startedAt),
    ...(outcome.message ? { message: outcome.message } : {}),
    ...(outcome.action ? { action: outcome.action } : {}),
  };
}
