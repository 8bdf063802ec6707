/**
 * The promotion as an xstate v5 machine, built from the pipeline: one compound
 * state per stage, in order, each walking
 *
 *   preflight -> lock -> [backup] -> [bookmark] -> migrate -> deploy -> verify -> unlock -> next stage
 *
 * and, when migrate, deploy or verify fails, rollback -> reverify -> unlock.
 * The machine is pure: every side effect is an actor the target supplies
 * (`.provide({ actors })`), so the routing is tested with fake actors and a
 * simulated clock. Context stays JSON-serializable so snapshots persist.
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import type { StepDetail, StepName, StepProgress } from '../events/run-events.js';

/** Bumped whenever states or context change shape: a persisted snapshot of another version is not resumed. */
export const MACHINE_VERSION = 1;

export type RollbackPolicy = 'time-travel' | 'down-migrations' | 'auto' | 'none';

export interface StagePlan {
  environment: string;
  bookmark: boolean;
  /** Dump and verify every database before migrating (absent in runs recorded before backups existed). */
  backup?: boolean;
}

export interface PromotionInput {
  runId: string;
  /** Identity of the change: migration set + Worker build. Every stage must verify this same value. */
  changeId: string;
  stages: StagePlan[];
  rollbackPolicy: RollbackPolicy;
  /** Digests of the config that shapes the run (`file: key`), so resume can name what changed. */
  shape?: Record<string, string>;
  /** A sharded run (--shard i/n): kept so a resumed shard works on the same slice. */
  shard?: { index: number; count: number };
}

export interface StageState {
  environment: string;
  result?: 'promoted' | 'rolled-back' | 'failed';
  migrations: string[];
  /** Seeds applied by the migrate step (absent: none). */
  seeds?: string[];
  bookmark?: string;
  /** Backup files the stage wrote (and verified) before migrating. */
  backups?: string[];
  /** Epoch ms when the bookmark was taken (for the lost-writes window). */
  bookmarkAt?: number;
  workerVersion?: string;
  previousWorkerVersion?: string;
  verifiedChange?: string;
  lostWritesWindowMs?: number;
  /** Gradual rollout: each step's split and verdict, as the verify step reported them. */
  rollout?: { percentage: number; ok: boolean }[];
  /** What the stage's preflight let through but the run must say (schema drift under schemaDrift: warn). */
  warnings?: string[];
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
  /** Verify runs again after a rollback: the previous version alone serves, so no rollout steps. */
  reverify?: boolean;
}

/** `seeds`: the seeds the step applied (or, from preflight, would apply), recorded names. */
export interface MigrateOutput { migrations: string[]; seeds?: string[] }
/** The pending set, and what goes on despite a finding (schema drift under schemaDrift: warn). */
export interface PreflightOutput extends MigrateOutput { warnings?: string[] }
/** No files: nothing was pending, so nothing was dumped (`message` says so). */
export interface BackupOutput { files: string[]; message?: string }
export interface BookmarkOutput { bookmark: string; at: number }
/** `version` is absent when the environment has no Worker. */
export interface DeployOutput {
  version?: string;
  previousVersion?: string;
  /** Why nothing was deployed, when there is a better reason than no Worker (a sharded run). */
  message?: string;
}
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

/** The steps of one stage, in order: the one list the machine, the plan and --dry-run share. */
export function stageSteps(stage: StagePlan): StepName[] {
  return ['preflight', 'lock', ...(stage.backup ? (['backup'] as const) : []), ...(stage.bookmark ? (['bookmark'] as const) : []), 'migrate', 'deploy', 'verify', 'unlock'];
}

const notProvided = <T>(name: string) =>
  fromPromise<T, StepInput>(async () => {
    throw new Error(`actor '${name}' was not provided by the target`);
  });

export const ACTOR_NAMES = ['preflight', 'lock', 'backup', 'bookmark', 'migrate', 'deploy', 'verify', 'unlock', 'rollback'] as const;
export type ActorName = (typeof ACTOR_NAMES)[number];

/** What a target supplies: one function per actor, each given the actor's signal for its I/O. */
export interface StepImplementations {
  preflight(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<PreflightOutput>;
  lock(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<void>;
  backup(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<BackupOutput>;
  bookmark(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<BookmarkOutput>;
  migrate(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<MigrateOutput>;
  deploy(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<DeployOutput>;
  verify(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<VerifyOutput>;
  unlock(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<void>;
  rollback(input: StepInput, signal: AbortSignal, progress: StepProgress): Promise<RollbackOutput>;
}

/** The machine with a target's implementations in place of the placeholders. */
export function providePromotionMachine(machine: PromotionMachine, steps: StepImplementations, progress: (input: StepInput) => StepProgress = () => ({ rolloutStep: () => undefined })) {
  const actor = <T>(fn: (input: StepInput, signal: AbortSignal, progress: StepProgress) => Promise<T>) =>
    fromPromise<T, StepInput>(({ input, signal }) => fn(input, signal, progress(input)));
  return machine.provide({
    actors: {
      preflight: actor(steps.preflight),
      lock: actor(steps.lock),
      backup: actor(steps.backup),
      bookmark: actor(steps.bookmark),
      migrate: actor(steps.migrate),
      deploy: actor(steps.deploy),
      verify: actor(steps.verify),
      unlock: actor(steps.unlock),
      rollback: actor(steps.rollback),
    },
  });
}

type Slot = 'failure' | 'rollbackFailure';
/** What an invoke's done/error event carries (the machine reads nothing else from events). */
type StepEvent = { output?: unknown; error?: unknown };

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

/** The rollout steps of a verify step's detail, as a stage patch (nothing without a rollout). */
function rolloutOf(detail: StepDetail | undefined): Partial<StageState> {
  return detail?.rollout ? { rollout: detail.rollout.map((r) => ({ percentage: r.percentage, ok: r.ok })) } : {};
}

function patchStage(context: PromotionContext, patch: Partial<StageState>): StageState[] {
  return context.results.map((s, i) => (i === context.index ? { ...s, ...patch } : s));
}

const currentStage = (context: PromotionContext): string => context.results[context.index]!.environment;

/** What a finished step shows the sinks, read from the actor's output. */
function detailOf(step: StepName, output: unknown): StepDetail | undefined {
  switch (step) {
    case 'preflight': {
      const out = output as PreflightOutput;
      return { migrations: out.migrations, ...(out.seeds && out.seeds.length > 0 ? { seeds: out.seeds } : {}), ...(out.warnings && out.warnings.length > 0 ? { warnings: out.warnings } : {}) };
    }
    case 'migrate': {
      const out = output as MigrateOutput;
      return { migrations: out.migrations, ...(out.seeds && out.seeds.length > 0 ? { seeds: out.seeds } : {}) };
    }
    case 'bookmark':
      return { bookmark: (output as BookmarkOutput).bookmark };
    case 'backup': {
      const out = output as BackupOutput;
      return { backups: out.files, ...(out.message ? { message: out.message } : {}) };
    }
    case 'deploy': {
      const out = output as DeployOutput;
      if (!out.version) return { message: out.message ?? 'no Worker in this environment: nothing to deploy' };
      return { workerVersion: out.version, ...(out.previousVersion ? { previousWorkerVersion: out.previousVersion } : {}) };
    }
    case 'verify':
    case 'reverify':
      return (output as VerifyOutput).detail;
    case 'rollback':
      return (output as RollbackOutput).detail;
    default:
      return undefined;
  }
}

const failureOf = (step: StepName, event: StepEvent) =>
  describeError(event.error ?? new Error(`${step} did not finish within the step timeout`));

/**
 * Every implementation is named here and referenced by name in the states,
 * so the routing reads as a table and each piece is testable on its own.
 */
const promotionSetup = setup({
  types: {
    context: {} as PromotionContext,
    input: {} as PromotionInput,
    emitted: {} as StepEmitted,
    output: {} as PromotionOutput,
  },
  actors: {
    preflight: notProvided<PreflightOutput>('preflight'),
    lock: notProvided<void>('lock'),
    backup: notProvided<BackupOutput>('backup'),
    bookmark: notProvided<BookmarkOutput>('bookmark'),
    migrate: notProvided<MigrateOutput>('migrate'),
    deploy: notProvided<DeployOutput>('deploy'),
    verify: notProvided<VerifyOutput>('verify'),
    unlock: notProvided<void>('unlock'),
    rollback: notProvided<RollbackOutput>('rollback'),
  },
  delays: {
    /** A step that hangs this long fails (and rolls back where it changed something). */
    stepTimeout: 30 * 60_000,
  },
  guards: {
    /** Staging-first: the stage just finished verified exactly this change. */
    verifiedThisChange: ({ context }) => context.results[context.index]?.verifiedChange === context.changeId,
  },
  actions: {
    enterStage: assign((_, params: { index: number }) => ({ index: params.index })),
    stepSucceeded: emit(({ context, event }, params: { step: StepName }) => {
      const detail = detailOf(params.step, (event as StepEvent).output);
      return { type: 'step.done' as const, stage: currentStage(context), step: params.step, ok: true, ...(detail ? { detail } : {}) };
    }),
    stepFailed: emit(({ context, event }, params: { step: StepName }) => {
      const info = failureOf(params.step, event as StepEvent);
      return { type: 'step.done' as const, stage: currentStage(context), step: params.step, ok: false, error: info.message, ...(info.detail ? { detail: info.detail } : {}) };
    }),
    recordFailure: assign(({ context, event }, params: { step: StepName; slot: Slot }) => {
      const failure: FailureInfo = { stage: currentStage(context), step: params.step, ...failureOf(params.step, event as StepEvent) };
      return params.slot === 'failure' ? { failure } : { rollbackFailure: failure };
    }),
    storeBookmark: assign(({ context, event }) => {
      const out = (event as StepEvent).output as BookmarkOutput;
      return { results: patchStage(context, { bookmark: out.bookmark, bookmarkAt: out.at }) };
    }),
    storeWarnings: assign(({ context, event }) => {
      const warnings = ((event as StepEvent).output as PreflightOutput).warnings;
      return { results: warnings && warnings.length > 0 ? patchStage(context, { warnings }) : context.results };
    }),
    storeBackups: assign(({ context, event }) => ({ results: patchStage(context, { backups: ((event as StepEvent).output as BackupOutput).files }) })),
    storeMigrations: assign(({ context, event }) => {
      const out = (event as StepEvent).output as MigrateOutput;
      return { results: patchStage(context, { migrations: out.migrations, ...(out.seeds && out.seeds.length > 0 ? { seeds: out.seeds } : {}) }) };
    }),
    storeDeployment: assign(({ context, event }) => {
      const out = (event as StepEvent).output as DeployOutput;
      return {
        results: patchStage(context, {
          ...(out.version !== undefined ? { workerVersion: out.version } : {}),
          ...(out.previousVersion !== undefined ? { previousWorkerVersion: out.previousVersion } : {}),
        }),
      };
    }),
    storeVerifiedChange: assign(({ context, event }) => {
      const out = (event as StepEvent).output as VerifyOutput;
      return { results: patchStage(context, { verifiedChange: out.observedChange, ...rolloutOf(out.detail) }) };
    }),
    /** A rollout that failed at a step: the steps it went through, from the error's detail. */
    storeFailedRollout: assign(({ context, event }) => ({ results: patchStage(context, rolloutOf(describeError((event as StepEvent).error).detail)) })),
    storeRollback: assign(({ context, event }) => {
      const d = ((event as StepEvent).output as RollbackOutput).detail;
      return {
        results: patchStage(context, {
          ...(d.lostWritesWindowMs !== undefined ? { lostWritesWindowMs: d.lostWritesWindowMs } : {}),
          ...(d.workerVersion !== undefined ? { workerVersion: d.workerVersion } : {}),
        }),
      };
    }),
    markStage: assign(({ context }, params: { result: NonNullable<StageState['result']> }) => ({ results: patchStage(context, { result: params.result }) })),
    /** The stage verified, but not this change: something else deployed or migrated it meanwhile. */
    refuseOtherChange: assign(({ context }) => {
      const stage = context.results[context.index]!;
      return {
        results: patchStage(context, { result: 'failed' }),
        failure: {
          stage: stage.environment,
          step: 'verify' as StepName,
          exitCode: 1,
          message: `${stage.environment} verified a different change (${stage.verifiedChange ?? 'none'}, expected ${context.changeId}); later stages were not entered`,
          hint: 'make sure nothing else deploys or migrates this environment during a promotion, then run promote again',
        },
      };
    }),
    finish: assign(({ context }, params: { outcome: Outcome; markCurrent?: 'failed' }) => ({
      outcome: params.outcome,
      results: params.markCurrent
        ? context.results.map((st, i) => (i === context.index && !st.result ? { ...st, result: params.markCurrent } : st))
        : context.results,
    })),
  },
});

/** A state node of this machine, typed by its setup: a misspelt action, guard or actor name does not compile. */
type StateConfig = NonNullable<Parameters<typeof promotionSetup.createMachine>[0]['states']>[string];

const succeeded = (step: StepName) => ({ type: 'stepSucceeded', params: { step } }) as const;
const failedAt = (step: StepName, slot: Slot = 'failure') =>
  [{ type: 'recordFailure', params: { step, slot } } as const, { type: 'stepFailed', params: { step } } as const];

/**
 * One step of a stage: the actor, where it goes on success (storing its
 * output first), and where a failure or a timeout goes.
 */
function stepState(
  src: ActorName,
  step: StepName,
  onDone: { target: string; store?: 'storeWarnings' | 'storeBackups' | 'storeBookmark' | 'storeMigrations' | 'storeDeployment' | 'storeVerifiedChange' | 'storeRollback' },
  onFail: { target: string; slot?: Slot; store?: 'storeFailedRollout' },
  input: (args: { context: PromotionContext }) => StepInput = stepInput,
): StateConfig {
  return {
    invoke: {
      src,
      input,
      onDone: { target: onDone.target, actions: [...(onDone.store ? [onDone.store] : []), succeeded(step)] },
      onError: { target: onFail.target, actions: [...(onFail.store ? [onFail.store] : []), ...failedAt(step, onFail.slot)] },
    },
    after: { stepTimeout: { target: onFail.target, actions: failedAt(step, onFail.slot) } },
  };
}

/** The release that ends a stage; the lease expires by itself, so a failed release changes no outcome. */
function unlockState(target: string, result?: 'rolled-back' | 'failed'): StateConfig {
  const mark = result ? [{ type: 'markStage', params: { result } } as const] : [];
  return {
    invoke: {
      src: 'unlock',
      input: stepInput,
      onDone: { target, actions: [...mark, succeeded('unlock')] },
      onError: { target, actions: [...mark, { type: 'stepFailed', params: { step: 'unlock' } } as const] },
    },
  };
}

/** One stage: preflight -> lock -> [backup] -> [bookmark] -> migrate -> deploy -> verify -> unlock, and the rollback path. */
function stageState(stage: StagePlan, index: number, next: string): StateConfig {
  return {
    initial: 'preflight',
    entry: { type: 'enterStage', params: { index } },
    states: {
      preflight: stepState('preflight', 'preflight', { target: 'lock', store: 'storeWarnings' }, { target: '#promotion.failed' }),
      lock: stepState('lock', 'lock', { target: stage.backup ? 'backup' : stage.bookmark ? 'bookmark' : 'migrate' }, { target: '#promotion.failed' }),
      // A backup that cannot be taken or does not verify stops the stage before anything changed.
      ...(stage.backup ? { backup: stepState('backup', 'backup', { target: stage.bookmark ? 'bookmark' : 'migrate', store: 'storeBackups' }, { target: 'unlockFailed' }) } : {}),
      ...(stage.bookmark ? { bookmark: stepState('bookmark', 'bookmark', { target: 'migrate', store: 'storeBookmark' }, { target: 'unlockFailed' }) } : {}),
      migrate: stepState('migrate', 'migrate', { target: 'deploy', store: 'storeMigrations' }, { target: 'rollback' }),
      deploy: stepState('deploy', 'deploy', { target: 'verify', store: 'storeDeployment' }, { target: 'rollback' }),
      verify: stepState('verify', 'verify', { target: 'unlock', store: 'storeVerifiedChange' }, { target: 'rollback', store: 'storeFailedRollout' }),
      unlock: unlockState('passed'),
      passed: {
        always: [
          { guard: 'verifiedThisChange', target: next, actions: { type: 'markStage', params: { result: 'promoted' } } },
          { target: '#promotion.failed', actions: 'refuseOtherChange' },
        ],
      },
      rollback: stepState('rollback', 'rollback', { target: 'reverify', store: 'storeRollback' }, { target: 'unlockRollbackFailed', slot: 'rollbackFailure' }),
      // After a rollback the previous version alone serves: verify without rollout steps.
      reverify: stepState('verify', 'reverify', { target: 'unlockRolledBack' }, { target: 'unlockRollbackFailed', slot: 'rollbackFailure' }, (args) => ({ ...stepInput(args), reverify: true })),
      unlockRolledBack: unlockState('#promotion.rolledBack', 'rolled-back'),
      unlockFailed: unlockState('#promotion.failed', 'failed'),
      unlockRollbackFailed: unlockState('#promotion.rollbackFailed', 'failed'),
    },
  };
}

const stageKey = (stage: StagePlan) => `stage:${stage.environment}`;

/** Builds the machine for these stages (the pipeline up to --to). */
export function createPromotionMachine(stages: readonly StagePlan[]) {
  const stageStates = Object.fromEntries(
    stages.map((stage, i) => [stageKey(stage), stageState(stage, i, stages[i + 1] ? `#promotion.${stageKey(stages[i + 1]!)}` : '#promotion.promoted')]),
  );
  return promotionSetup.createMachine({
    id: 'promotion',
    context: ({ input }) => ({
      ...input,
      index: 0,
      results: input.stages.map((s) => ({ environment: s.environment, migrations: [] })),
    }),
    initial: stages[0] ? stageKey(stages[0]) : 'promoted',
    states: {
      ...stageStates,
      promoted: { type: 'final', entry: { type: 'finish', params: { outcome: 'promoted' } } },
      rolledBack: { type: 'final', entry: { type: 'finish', params: { outcome: 'rolled-back' } } },
      failed: { type: 'final', entry: { type: 'finish', params: { outcome: 'failed', markCurrent: 'failed' } } },
      rollbackFailed: { type: 'final', entry: { type: 'finish', params: { outcome: 'rollback-failed', markCurrent: 'failed' } } },
    },
    output: ({ context }) => ({
      outcome: context.outcome ?? 'failed',
      stages: context.results,
      ...(context.failure ? { failure: context.failure } : {}),
      ...(context.rollbackFailure ? { rollbackFailure: context.rollbackFailure } : {}),
    }),
  });
}

export type PromotionMachine = ReturnType<typeof createPromotionMachine>;
