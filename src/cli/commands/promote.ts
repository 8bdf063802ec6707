import { InvalidInputError } from '../../errors.js';
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
import { parseShard, type Shard } from '../../fleet/shard.js';

const DEFAULT_LOCK_TTL_MS = 60_000;

export async function run(ctx: CommandContext<'promote'>): Promise<number> {
  const ws = await loadWorkspace(ctx.root, ctx.env);
  const to = String(ctx.values.to);
  // Checked before anything is opened: a bad --shard is exit 2 with nothing touched.
  const shard = ctx.values.shard === undefined ? undefined : parseShard(ctx.values.shard);
  const stages = stagesUpTo(ws.project, to);
  if (ctx.values['dry-run']) return printDryRun(ctx, ws, stages);
  const runId = newRunId();
  return startPromotion(ctx, ws, { to, runId, ...(shard ? { shard } : {}), ...reportFile(ws.project.root, runId, ctx.values.report, shard) });
}

/** --report <file>, else a sharded run's default under .promote/reports/ (a merge job needs every shard's). */
function reportFile(root: string, runId: string, flag: string | undefined, shard: Shard | undefined): { reportFile?: string } {
  if (flag !== undefined) return { reportFile: resolve(root, flag) };
  return shard ? { reportFile: join(root, '.promote', 'reports', `${runId}-shard-${shard.index}-of-${shard.count}.json`) } : {};
}

/** Shared by `promote --to` and `promote resume`. */
export async function startPromotion(
  ctx: CommandContext<'promote' | 'resume'>,
  ws: Workspace,
  run: { to: string; runId: string; resume?: RunRecord; shard?: Shard; reportFile?: string },
): Promise<number> {
  const stages = stagesUpTo(ws.project, run.to);
  const settings = withProjectSecrets(ctx.settings, ws.project);
  // In Actions, the runner masks every secret before promote prints anything else.
  const actionsSecrets = maskSecretsInActions(ctx.output, ctx.env, settings.secrets);
  const redact = settings.redact;
  const shape = runShape(ws.project, stages);
  if (run.resume) refuseChangedConfig(run.resume, run.runId, shape);
  const { steps: target, expected, close } = await prepareSteps(
    ws,
    stages,
    {
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
  const input: PromotionInput = {
    runId: run.runId,
    changeId: runChangeId([...expected, ...Object.entries(shape).map(([part, digest]) => `${part}=${digest}`)]),
    stages: ws.project.pipeline.stages
      .filter((s) => stages.some((e) => e.name === s.environment))
      .map((s) => ({ environment: s.environment, bookmark: s.bookmark })),
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
    // Every stage is opened, read and preflighted side by side before the first
    // lock: a problem that only production's schema shows stops the run (exit 2)
    // before dev is touched.
    await target.preflightAll(input.stages.map((s) => s.environment), input.rollbackPolicy);
  } catch (e) {
    await target.dispose();
    await close();
    throw e;
  }
  const sink: RunSink = createRunSinks(ctx.output, journalPath(ws.project.root, run.runId), redact, {
    project: ws.project,
    env: ctx.env,
    masked: actionsSecrets,
    report: { databases: singleDatabases(ws, stages), ...(run.shard ? { shard: run.shard } : {}), ...(run.reportFile ? { file: run.reportFile } : {}) },
  });
  const actors: StepImplementations = {
    preflight: (i) => target.preflight(i),
    lock: (i, signal) => target.lock(i, signal),
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
  return new Map(stages.map((e) => [e.name, ws.databasesOf(e).map((d) => d.binding)]));
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
