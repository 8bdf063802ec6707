import { InvalidInputError } from '../../errors.js';
import { stageBacksUp } from '../../config/schema.js';
import type { RunSink } from '../../events/run-events.js';
import { MACHINE_VERSION, type PromotionInput, type StepImplementations, type StepInput } from '../../machine/promotion-machine.js';
import { runChangeId } from '../../engine/change.js';
import { changedParts, runShape } from '../../engine/run-shape.js';
import { loadWorkspace, type Workspace } from '../../engine/load-workspace.js';
import { stagesUpTo } from '../../engine/select-environment.js';
import { describeTrigger, runContextFromEnv } from '../../notify/run-context.js';
import { newRunId } from '../../runs/run-id.js';
import { runPromotion } from '../../engine/run-promotion.js';
import { journalPath, type RunRecord } from '../../runs/run-store.js';
import { prepareSteps } from '../../engine/prepare-steps.js';
import { parseDuration } from '../durations.js';
import type { CommandContext } from '../command-context.js';
import { createRunSinks } from '../run-sinks.js';
import { maskSecretsInActions } from '../mask-secrets.js';
import { withProjectSecrets } from '../settings.js';
import { printDryRun } from './promote-dry-run.js';
import { join, resolve } from 'node:path';
import type { LoadedEnvironment } from '../../config/schema.js';
import { describeShard, parseShard, type Shard } from '../../fleet/shard.js';
import { isFleet } from '../../config/environment-databases.js';
import { printProblems } from '../output.js';

const DEFAULT_LOCK_TTL_MS = 60_000;

export async function run(ctx: CommandContext<'promote'>): Promise<number> {
  const ws = await loadWorkspace(ctx.root, ctx.env);
  const to = String(ctx.values.to);
  // Checked before anything is opened: a bad --shard is exit 2 with nothing touched.
  const shard = ctx.values.shard === undefined ? undefined : parseShard(ctx.values.shard);
  const stages = stagesUpTo(ws.project, to);
  if (ctx.values['dry-run']) return shard ? printDryRun(ctx, ws, stages.slice(-1), shard) : printDryRun(ctx, ws, stages);
  return startPromotion(ctx, ws, {
    to,
    runId: newRunId(),
    ...(shard ? { shard } : {}),
    ...(ctx.values.report !== undefined ? { reportFile: resolve(ws.project.root, ctx.values.report) } : {}),
  });
}

/** --report <file>, else a sharded run's default under .promote/reports/ (a merge job needs every shard's). */
function reportFileOf(root: string, runId: string, flag: string | undefined, shard: Shard | undefined): string | undefined {
  if (flag !== undefined) return flag;
  return shard ? join(root, '.promote', 'reports', `${runId}-shard-${shard.index}-of-${shard.count}.json`) : undefined;
}

/**
 * A sharded run starts at its target: the stages before it ran in an earlier job. It
 * goes on only when the stage right before the target has this very change (its
 * databases' ledgers and the Worker it serves, as its verify step checks them), and
 * only when the target has a fleet to shard.
 */
async function refuseUnshardable(ws: Workspace, steps: { hasVerifiedChange(name: string): Promise<boolean> }, stages: readonly LoadedEnvironment[], shard: Shard): Promise<void> {
  const target = stages.at(-1)!;
  const flag = `--shard ${describeShard(shard)}`;
  if (!ws.databasesOf(target).some(isFleet)) {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_SHARD_WITHOUT_FLEET',
        file: target.file,
        message: `${flag}: ${target.name} has no fleet (no database with fleet:), so there is nothing to shard`,
        hint: `run promote --to ${target.name} without --shard, or add fleet: to the database that has one D1 database per tenant`,
      },
    ]);
  }
  const before = stages.at(-2);
  if (before && !(await steps.hasVerifiedChange(before.name))) {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_SHARD_NOT_VERIFIED',
        file: ws.project.pipelineFile,
        message: `${flag}: ${before.name} has not verified this change (its databases or the Worker it serves differ from this checkout), and a sharded run starts at ${target.name}`,
        hint: `promote ${before.name} first (promote --to ${before.name}, the workflow's job before the shards), then run the shards from the same commit`,
      },
    ]);
  }
}

/** Shared by `promote --to` and `promote resume`. */
export async function startPromotion(
  ctx: CommandContext<'promote' | 'resume'>,
  ws: Workspace,
  run: { to: string; runId: string; resume?: RunRecord; shard?: Shard; reportFile?: string },
): Promise<number> {
  const shard = run.shard ?? run.resume?.input.shard;
  // Every stage up to the target is built (the stage before a sharded target is checked for
  // this build); a sharded run walks its target alone.
  const built = stagesUpTo(ws.project, run.to);
  const stages = shard ? built.slice(-1) : built;
  const reportFile = reportFileOf(ws.project.root, run.runId, run.reportFile, shard);
  const settings = withProjectSecrets(ctx.settings, ws.project);
  // In Actions, the runner masks every secret before promote prints anything else.
  const actionsSecrets = maskSecretsInActions(ctx.output, ctx.env, settings.secrets);
  const redact = settings.redact;
  const shape = runShape(ws.project, stages);
  if (run.resume) refuseChangedConfig(run.resume, run.runId, shape);
  const { steps: target, expected: builtExpected, close } = await prepareSteps(
    ws,
    built,
    {
      ...(shard ? { fleetOnly: { environment: run.to, shard } } : {}),
      runId: run.runId,
      lockTtlMs: ctx.values['lock-ttl'] ? parseDuration(String(ctx.values['lock-ttl']), '--lock-ttl') : DEFAULT_LOCK_TTL_MS,
      waitMs: ctx.values.wait ? parseDuration(String(ctx.values.wait), '--wait') : 0,
      redact,
      owner: ctx.settings.owner,
      // A queued run says what it waits for (on stderr, so --json stays JSON lines).
      onLockWait: (message) => ctx.output.err(`promote: ${redact(message)}`),
    },
    settings,
  );
  const expected = shard ? builtExpected.slice(-1) : builtExpected;
  const input: PromotionInput = {
    ...(shard ? { shard } : {}),
    runId: run.runId,
    changeId: runChangeId([...expected, ...Object.entries(shape).map(([part, digest]) => `${part}=${digest}`)]),
    stages: ws.project.pipeline.stages
      .filter((s) => stages.some((e) => e.name === s.environment))
      .map((s) => ({ environment: s.environment, bookmark: s.bookmark, backup: stageBacksUp(s, ws.project.environments.get(s.environment)?.config) })),
    rollbackPolicy: ws.project.pipeline.rollback.database,
    shape,
  };
  try {
    if (run.resume) {
      if (run.resume.machineVersion !== MACHINE_VERSION) {
        throw new InvalidInputError([], `run ${run.runId} was recorded by another version of promote and cannot be resumed; start a new run with promote --to ${run.to}`);
      }
      if (run.resume.input.changeId !== input.changeId) {
        throw new InvalidInputError(
          [],
          `the migrations or the Worker changed since run ${run.runId} stopped (change ${run.resume.input.changeId}, now ${input.changeId}); it cannot be resumed: put them back, or start a new run with promote --to ${run.to}`,
        );
      }
    }
    if (shard) await refuseUnshardable(ws, target, built, shard);
    // Every stage is opened, read and preflighted side by side before the first
    // lock: a problem that only production's schema shows stops the run (exit 2)
    // before dev is touched.
    const plan = await target.preflightAll(input.stages.map((s) => s.environment), input.rollbackPolicy);
    // Seeds edited after they were applied: said on stderr (--json stays JSON lines), never applied again.
    printProblems(ctx.output, plan.stages.flatMap((s) => s.warnings));
  } catch (e) {
    await target.dispose();
    await close();
    throw e;
  }
  const sink: RunSink = createRunSinks(ctx.output, journalPath(ws.project.root, run.runId), redact, {
    project: ws.project,
    env: ctx.env,
    masked: actionsSecrets,
    // A shard runs no single database: its report is its tenants alone.
    report: { databases: shard ? new Map() : singleDatabases(ws, stages), ...(shard ? { shard } : {}), ...(reportFile ? { file: reportFile } : {}) },
  });
  const actors: StepImplementations = {
    preflight: (i) => target.preflight(i),
    lock: (i, signal) => target.lock(i, signal),
    backup: (i, signal) => target.backup(i, signal),
    bookmark: (i, signal) => target.bookmark(i, signal),
    migrate: (i, signal, progress) => target.migrate(i, signal, progress),
    deploy: (i, signal) => target.deploy(i, signal),
    verify: (i, signal, progress) => target.verify(i, signal, progress),
    unlock: (i, signal) => target.unlock(i, signal),
    rollback: (i, signal, progress) => target.rollback(i, signal, progress),
  };
  try {
    const outcome = await runPromotion({
      root: ws.project.root,
      pipeline: ws.project.pipeline.name,
      to: run.to,
      input,
      actors,
      sink,
      ...(run.resume?.snapshot ? { snapshot: run.resume.snapshot } : {}),
      handleSignals: true,
      releaseLocks: () => target.releaseAll(),
      relock: (environment) => target.lock({ environment } as StepInput),
      triggeredBy: describeTrigger(runContextFromEnv(ctx.env, ws.project.pipeline.name)) ?? ctx.settings.owner,
    });
    return outcome.exitCode;
  } finally {
    await sink.close?.();
    await target.dispose();
    await close();
  }
}


/** Each stage's single (non-fleet) databases: the report gives each the stage's result. */
function singleDatabases(ws: Workspace, stages: readonly LoadedEnvironment[]): Map<string, string[]> {
  return new Map(stages.map((e) => [e.name, ws.databasesOf(e).filter((d) => !isFleet(d)).map((d) => d.binding)]));
}

/** Before anything is opened: a resumed run must run under the config it started with. */
function refuseChangedConfig(record: RunRecord, runId: string, shape: Record<string, string>): void {
  const changed = changedParts(record.input.shape ?? {}, shape);
  if (record.input.shape === undefined || changed.length === 0) return;
  throw new InvalidInputError(
    [],
    `the config changed since run ${runId} stopped (${changed.join('; ')}); it cannot be resumed: put it back, or start a new run with promote --to ${record.to}`,
  );
}
