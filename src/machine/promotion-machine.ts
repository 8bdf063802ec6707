/**
 * The promotion as an xstate v5 machine, built from the pipeline: one compound
 * state per stage, in order, each walking
 *
 *   preflight -> lock -> [bookmark] -> migrate -> deploy -> verify -> unlock -> next stage
 *
 * and, when migrate, deploy or verify fails, rollback -> reverify -> unlock.
 * The machine is pure: every side effect is an actor the target supplies
 * (`.provide({ actors })`), so the routing is tested with fake actors and a
 * simulated clock. Context stays JSON-serializable so snapshots persist.
 */
import { assign, emit, fromPromise, setup, type AnyStateMachine } from 'xstate';
import type { StepDetail, StepName } from '../events/run-events.js';

/** Bumped whenever states or context change shape: a persisted snapshot of another version is not resumed. */
export const MACHINE_VERSION = 1;

export type RollbackPolicy = 'time-travel' | 'down-migrations' | 'auto' | 'none';

export interface StagePlan {
  environment: string;
  bookmark: boolean;
}

export interface PromotionInput {
  runId: string;
  /** Identity of the change: migration set + Worker build. Every stage must verify this same value. */
  changeId: string;
  stages: StagePlan[];
  rollbackPolicy: RollbackPolicy;
  /** Digests of the config that shapes the run (`file: key`), so resume can name what changed. */
  shape?: Record<string, string>;
}

export interface StageState {
  environment: string;
  result?: 'promoted' | 'rolled-back' | 'failed';
  migrations: string[];
  bookmark?: string;
  /** Epoch ms when the bookmark was taken (for the lost-writes window). */
  bookmarkAt?: number;
  workerVersion?: string;
  previousWorkerVersion?: string;
  verifiedChange?: string;
  lostWritesWindowMs?: number;
}

export interface FailureInfo {
  stage: string;
  step: StepName;
  message: string;
  /** Exit code the error asked for (2 invalid input, 3 locked, 4 rollback failed), else 1. */
  exitCode: number;
  hint?: string;
  detail?: StepDetail;
}

export type Outcome = 'promoted' | 'rolled-back' | 'failed' | 'rollback-failed';

export interface PromotionContext extends PromotionInput {
  index: number;
  outcome?: Outcome;
  results: StageState[];
  failure?: FailureInfo;
  rollbackFailure?: FailureInfo;
}

export interface PromotionOutput {
  outcome: Outcome;
  stages: StageState[];
  failure?: FailureInfo;
  rollbackFailure?: FailureInfo;
}

/** Emitted when a step ends; the runner turns these into RunEvents (it also sees step starts as state changes). */
export interface StepEmitted {
  type: 'step.done';
  stage: string;
  step: StepName;
  ok: boolean;
  error?: string;
  detail?: StepDetail;
}

export interface StepInput {
  environment: string;
  stageIndex: number;
  runId: string;
  changeId: string;
  stage: StageState;
  rollbackPolicy: RollbackPolicy;
}

export interface MigrateOutput { migrations: string[] }
export interface BookmarkOutput { bookmark: string; at: number }
export interface DeployOutput { version: string; previousVersion?: string }
export interface VerifyOutput { observedChange: string; detail?: StepDetail }
export interface RollbackOutput { detail: StepDetail }

/** Errors carry an exit code and optional detail (e.g. failing checks' evidence). */
export function describeError(error: unknown): { message: string; exitCode: number; hint?: string; detail?: StepDetail } {
  const e = error as { message?: string; exitCode?: number; hint?: string; detail?: StepDetail } | undefined;
  return {
    message: e?.message ?? String(error),
    exitCode: typeof e?.exitCode === 'number' ? e.exitCode : 1,
    ...(e?.hint ? { hint: e.hint } : {}),
    ...(e?.detail ? { detail: e.detail } : {}),
  };
}

const notProvided = (name: string) =>
  fromPromise<never, StepInput>(async () => {
    throw new Error(`actor '${name}' was not provided by the target`);
  });

export const ACTOR_NAMES = ['preflight', 'lock', 'bookmark', 'migrate', 'deploy', 'verify', 'unlock', 'rollback'] as const;

const base = setup({
  types: {
    context: {} as PromotionContext,
    input: {} as PromotionInput,
    emitted: {} as StepEmitted,
    output: {} as PromotionOutput,
  },
  actors: {
    preflight: notProvided('preflight') as ReturnType<typeof fromPromise<{ migrations: string[] }, StepInput>>,
    lock: notProvided('lock') as ReturnType<typeof fromPromise<void, StepInput>>,
    bookmark: notProvided('bookmark') as ReturnType<typeof fromPromise<BookmarkOutput, StepInput>>,
    migrate: notProvided('migrate') as ReturnType<typeof fromPromise<MigrateOutput, StepInput>>,
    deploy: notProvided('deploy') as ReturnType<typeof fromPromise<DeployOutput, StepInput>>,
    verify: notProvided('verify') as ReturnType<typeof fromPromise<VerifyOutput, StepInput>>,
    unlock: notProvided('unlock') as ReturnType<typeof fromPromise<void, StepInput>>,
    rollback: notProvided('rollback') as ReturnType<typeof fromPromise<RollbackOutput, StepInput>>,
  },
  delays: {
    /** A step that hangs this long fails (and rolls back where it changed something). */
    stepTimeout: 30 * 60_000,
  },
  guards: {
    /** Staging-first: the stage just finished verified exactly this change. */
    verifiedThisChange: ({ context }) => context.results[context.index]?.verifiedChange === context.changeId,
    isLastStage: ({ context }) => context.index === context.stages.length - 1,
  },
});

type Base = typeof base;

function stepInput({ context }: { context: PromotionContext }): StepInput {
  const stage = context.results[context.index]!;
  return {
    environment: stage.environment,
    stageIndex: context.index,
    runId: context.runId,
    changeId: context.changeId,
    stage,
    rollbackPolicy: context.rollbackPolicy,
  };
}

function patchStage(context: PromotionContext, patch: Partial<StageState>): StageState[] {
  return context.results.map((s, i) => (i === context.index ? { ...s, ...patch } : s));
}

/** Builds the machine for these stages (the pipeline up to --to). */
export function createPromotionMachine(stages: readonly StagePlan[]) {
  const stageKey = (i: number) => `stage:${stages[i]!.environment}`;
  const states: Record<string, unknown> = {};

  const ok = (step: StepName, detail?: (e: unknown) => StepDetail | undefined) =>
    emit(({ context, event }: { context: PromotionContext; event: unknown }) => {
      const d = detail?.((event as { output?: unknown }).output);
      return { type: 'step.done' as const, stage: context.results[context.index]!.environment, step, ok: true, ...(d ? { detail: d } : {}) };
    });
  const failed = (step: StepName) =>
    emit(({ context, event }: { context: PromotionContext; event: unknown }) => {
      const info = describeError((event as { error?: unknown }).error ?? new Error(`${step} timed out`));
      return {
        type: 'step.done' as const,
        stage: context.results[context.index]!.environment,
        step,
        ok: false,
        error: info.message,
        ...(info.detail ? { detail: info.detail } : {}),
      };
    });
  const recordFailure = (step: StepName, slot: 'failure' | 'rollbackFailure' = 'failure') =>
    assign(({ context, event }: { context: PromotionContext; event: unknown }) => {
      const info = describeError((event as { error?: unknown }).error ?? new Error(`${step} did not finish within the step timeout`));
      const failure: FailureInfo = { stage: context.results[context.index]!.environment, step, ...info };
      return slot === 'failure' ? { failure } : { rollbackFailure: failure };
    });
  const timeout = (step: StepName, target: string, slot: 'failure' | 'rollbackFailure' = 'failure') => ({
    after: { stepTimeout: { target, actions: [recordFailure(step, slot), failed(step)] } },
  });

  stages.forEach((stage, i) => {
    const next = i + 1 < stages.length ? `#promotion.${stageKey(i + 1)}` : '#promotion.promoted';
    const invoke = (src: (typeof ACTOR_NAMES)[number], onDone: object, onError: object) => ({
      invoke: { src, input: stepInput, onDone, onError },
    });
    states[stageKey(i)] = {
      initial: 'preflight',
      entry: assign({ index: i }),
      states: {
        preflight: {
          ...invoke(
            'preflight',
            { target: 'lock', actions: ok('preflight', (o) => ({ migrations: (o as { migrations: string[] }).migrations })) },
            { target: '#promotion.failed', actions: [recordFailure('preflight'), failed('preflight')] },
          ),
          ...timeout('preflight', '#promotion.failed'),
        },
        lock: {
          ...invoke(
            'lock',
            { target: stage.bookmark ? 'bookmark' : 'migrate', actions: ok('lock') },
            { target: '#promotion.failed', actions: [recordFailure('lock'), failed('lock')] },
          ),
          ...timeout('lock', '#promotion.failed'),
        },
        ...(stage.bookmark
          ? {
              bookmark: {
                ...invoke(
                  'bookmark',
                  {
                    target: 'migrate',
                    actions: [
                      assign(({ context, event }: { context: PromotionContext; event: unknown }) => {
                        const out = (event as { output: BookmarkOutput }).output;
                        return { results: patchStage(context, { bookmark: out.bookmark, bookmarkAt: out.at }) };
                      }),
                      ok('bookmark', (o) => ({ bookmark: (o as BookmarkOutput).bookmark })),
                    ],
                  },
                  { target: 'unlockFailed', actions: [recordFailure('bookmark'), failed('bookmark')] },
                ),
                ...timeout('bookmark', 'unlockFailed'),
              },
            }
          : {}),
        migrate: {
          ...invoke(
            'migrate',
            {
              target: 'deploy',
              actions: [
                assign(({ context, event }: { context: PromotionContext; event: unknown }) => ({
                  results: patchStage(context, { migrations: (event as { output: MigrateOutput }).output.migrations }),
                })),
                ok('migrate', (o) => ({ migrations: (o as MigrateOutput).migrations })),
              ],
            },
            { target: 'rollback', actions: [recordFailure('migrate'), failed('migrate')] },
          ),
          ...timeout('migrate', 'rollback'),
        },
        deploy: {
          ...invoke(
            'deploy',
            {
              target: 'verify',
              actions: [
                assign(({ context, event }: { context: PromotionContext; event: unknown }) => {
                  const out = (event as { output: DeployOutput }).output;
                  return {
                    results: patchStage(context, {
                      workerVersion: out.version,
                      ...(out.previousVersion !== undefined ? { previousWorkerVersion: out.previousVersion } : {}),
                    }),
                  };
                }),
                ok('deploy', (o) => {
                  const out = o as DeployOutput;
                  return { workerVersion: out.version, ...(out.previousVersion ? { previousWorkerVersion: out.previousVersion } : {}) };
                }),
              ],
            },
            { target: 'rollback', actions: [recordFailure('deploy'), failed('deploy')] },
          ),
          ...timeout('deploy', 'rollback'),
        },
        verify: {
          ...invoke(
            'verify',
            {
              target: 'unlock',
              actions: [
                assign(({ context, event }: { context: PromotionContext; event: unknown }) => ({
                  results: patchStage(context, { verifiedChange: (event as { output: VerifyOutput }).output.observedChange }),
                })),
                ok('verify', (o) => (o as VerifyOutput).detail),
              ],
            },
            { target: 'rollback', actions: [recordFailure('verify'), failed('verify')] },
          ),
          ...timeout('verify', 'rollback'),
        },
        // The lease expires by itself, so a failed release never fails a promotion that verified.
        unlock: {
          ...invoke(
            'unlock',
            { target: 'passed', actions: ok('unlock') },
            { target: 'passed', actions: failed('unlock') },
          ),
        },
        passed: {
          always: [
            {
              guard: 'verifiedThisChange',
              target: next,
              actions: assign(({ context }: { context: PromotionContext }) => ({ results: patchStage(context, { result: 'promoted' }) })),
            },
            {
              target: '#promotion.failed',
              actions: assign(({ context }: { context: PromotionContext }) => ({
                results: patchStage(context, { result: 'failed' }),
                failure: {
                  stage: context.results[context.index]!.environment,
                  step: 'verify' as StepName,
                  exitCode: 1,
                  message: `${context.results[context.index]!.environment} verified a different change (${context.results[context.index]!.verifiedChange ?? 'none'}, expected ${context.changeId}); later stages were not entered`,
                  hint: 'make sure nothing else deploys or migrates this environment during a promotion, then run promote again',
                },
              })),
            },
          ],
        },
        rollback: {
          ...invoke(
            'rollback',
            {
              target: 'reverify',
              actions: [
                assign(({ context, event }: { context: PromotionContext; event: unknown }) => {
                  const d = (event as { output: RollbackOutput }).output.detail;
                  return {
                    results: patchStage(context, {
                      ...(d.lostWritesWindowMs !== undefined ? { lostWritesWindowMs: d.lostWritesWindowMs } : {}),
                      ...(d.workerVersion !== undefined ? { workerVersion: d.workerVersion } : {}),
                    }),
                  };
                }),
                ok('rollback', (o) => (o as RollbackOutput).detail),
              ],
            },
            { target: 'unlockRollbackFailed', actions: [recordFailure('rollback', 'rollbackFailure'), failed('rollback')] },
          ),
          ...timeout('rollback', 'unlockRollbackFailed', 'rollbackFailure'),
        },
        reverify: {
          invoke: {
            src: 'verify',
            input: stepInput,
            onDone: { target: 'unlockRolledBack', actions: ok('reverify', (o) => (o as VerifyOutput).detail) },
            onError: { target: 'unlockRollbackFailed', actions: [recordFailure('reverify', 'rollbackFailure'), failed('reverify')] },
          },
          ...timeout('reverify', 'unlockRollbackFailed', 'rollbackFailure'),
        },
        unlockRolledBack: unlockThen('#promotion.rolledBack', 'rolled-back', ok, failed),
        unlockFailed: unlockThen('#promotion.failed', 'failed', ok, failed),
        unlockRollbackFailed: unlockThen('#promotion.rollbackFailed', 'failed', ok, failed),
      },
    };
  });

  const finish = (outcome: Outcome, markCurrent?: 'failed') =>
    assign(({ context }: { context: PromotionContext }) => ({
      outcome,
      results: markCurrent
        ? context.results.map((st, i) => (i === context.index && !st.result ? { ...st, result: markCurrent } : st))
        : context.results,
    }));

  return (base as Base).createMachine({
    id: 'promotion',
    context: ({ input }: { input: PromotionInput }) => ({
      ...input,
      index: 0,
      results: input.stages.map((s: StagePlan) => ({ environment: s.environment, migrations: [] })),
    }),
    initial: stages.length > 0 ? stageKey(0) : 'promoted',
    states: {
      ...(states as object),
      promoted: { type: 'final', entry: finish('promoted') },
      rolledBack: { type: 'final', entry: finish('rolled-back') },
      failed: { type: 'final', entry: finish('failed', 'failed') },
      rollbackFailed: { type: 'final', entry: finish('rollback-failed', 'failed') },
    },
    output: ({ context }: { context: PromotionContext }) => ({
      outcome: context.outcome ?? 'failed',
      stages: context.results,
      ...(context.failure ? { failure: context.failure } : {}),
      ...(context.rollbackFailure ? { rollbackFailure: context.rollbackFailure } : {}),
    }),
  } as never) as unknown as AnyStateMachine;
}

function unlockThen(
  target: string,
  result: 'rolled-back' | 'failed',
  ok: (step: StepName) => unknown,
  failed: (step: StepName) => unknown,
) {
  const mark = assign(({ context }: { context: PromotionContext }) => ({
    results: context.results.map((s, i) => (i === context.index ? { ...s, result } : s)),
  }));
  return {
    invoke: {
      src: 'unlock',
      input: stepInput,
      onDone: { target, actions: [mark, ok('unlock')] },
      onError: { target, actions: [mark, failed('unlock')] },
    },
  };
}
