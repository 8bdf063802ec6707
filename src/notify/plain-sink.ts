/**
 * The log for CI and pipes: exactly one line per event, never redrawn, so it reads
 * the same in a GitHub Actions log as in a file. Every line starts with the time
 * since the run started (taken from the events, so a replayed journal prints the
 * same log) and the stage/step columns, so `grep production` finds a stage's story.
 */
import { paint, type Output } from './terminal-output.js';
import { createPlainFleetProgress } from './fleet-progress.js';
import type { RunEvent, RunSink } from '../events/run-events.js';
import {
  describeDetail,
  describeFailure,
  describeFleetCounts,
  describeStageFleets,
  describeRolloutStep,
  describeRunResult,
  describeStageBackups,
  describeStageLosses,
  describeStageWarnings,
  describeStageRollouts,
  describeStageResult,
  describeStages,
  formatDuration,
  oneLine,
} from './describe.js';

/** Wide enough for the longest step name (preflight) plus a space. */
const STEP_COLUMN = 10;

export function createPlainSink(output: Output): RunSink {
  let origin: number | undefined;
  let stageWidth = 0;

  const elapsed = (at: string): string => {
    const parsed = Date.parse(at);
    const t = Number.isNaN(parsed) ? Date.now() : parsed;
    origin ??= t;
    return paint(output, 'dim', `[${((t - origin) / 1000).toFixed(2).padStart(6)}s]`);
  };

  const columns = (stage: string | undefined, step: string | undefined): string => {
    if (stage === undefined) return '';
    stageWidth = Math.max(stageWidth, stage.length);
    return `${stage.padEnd(stageWidth)}  ${(step ?? '').padEnd(STEP_COLUMN)}`;
  };

  const line = (event: RunEvent): string => {
    switch (event.type) {
      case 'run.started': {
        stageWidth = Math.max(stageWidth, ...event.stages.map((s) => s.length));
        const flags = [event.dryRun ? 'dry run' : '', event.resumed ? 'resumed' : ''].filter(Boolean);
        const extra = flags.length > 0 ? ` [${flags.join(', ')}]` : '';
        return `run ${event.runId} started: pipeline ${event.pipeline} to ${event.to} (${event.stages.join(', ')})${extra}`;
      }
      case 'step.started':
        return `${columns(event.stage, event.step)}${paint(output, 'blue', '…')} started`;
      case 'step.succeeded': {
        const what = describeDetail(event.step, event.detail);
        return `${columns(event.stage, event.step)}${paint(output, 'green', '✓')} ${what ? `${what} ` : ''}${formatDuration(event.durationMs)}`;
      }
      case 'step.failed': {
        const [first = '', ...rest] = describeFailure(event.step, event.error, event.detail);
        // A failing check already shows its own attempts and latency; another duration would only confuse.
        const checked = (event.detail?.checks ?? []).some((c) => !c.ok);
        const tail = checked ? '' : ` ${formatDuration(event.durationMs)}`;
        return `${columns(event.stage, event.step)}${paint(output, 'red', '✗')} ${[first, ...rest].join('; ')}${tail}`;
      }
      case 'stage.finished': {
        const mark =
          event.result === 'promoted'
            ? paint(output, 'green', '✓')
            : event.result === 'skipped'
              ? paint(output, 'dim', '-')
              : paint(output, event.result === 'rolled-back' ? 'yellow' : 'red', '✗');
        const took = event.result === 'skipped' ? '' : ` ${formatDuration(event.durationMs)}`;
        return `${columns(event.stage, 'finished')}${mark} ${describeStageResult(event.result)}${took}`;
      }
      case 'rollout.step':
        return `${columns(event.stage, 'rollout')}${event.step.ok ? paint(output, 'green', '✓') : paint(output, 'red', '✗')} ${describeRolloutStep(event.step)}`;
      case 'fleet-start':
        return `${columns(event.environment, 'migrate')}${paint(output, 'blue', '…')} fleet ${event.binding}: ${event.total} tenants, ${event.canaries} canaries first, ${event.concurrency} at once`;
      case 'tenant':
        return `${columns(event.environment, 'migrate')}${describeTenantMark(event.status)} ${event.binding}/${event.tenant}${event.canary ? ' (canary)' : ''} ${event.status}${event.error ? `: ${oneLine(event.error)}` : ''}`;
      case 'fleet-canaries':
        return `${columns(event.environment, 'migrate')}${event.ok ? paint(output, 'green', '✓') : paint(output, 'red', '✗')} canaries of ${event.binding} (${event.canaries.join(', ')}): ${event.skipped ? `checks skipped: ${event.skipped}` : event.ok ? `health checks passed (${event.checks?.length ?? 0})` : oneLine(event.error ?? 'health checks failed')}`;
      case 'fleet-end':
        return `${columns(event.environment, 'migrate')}${event.failed.length ? paint(output, 'red', '✗') : paint(output, 'green', '✓')} fleet ${event.binding}: ${describeFleetCounts(event.counts, event.failed)}`;
      case 'run.interrupted':
        return `${columns(event.stage, event.step)}${paint(output, 'yellow', '!')} interrupted: ${oneLine(event.message)}`;
      case 'summary': {
        const style = event.result === 'promoted' ? 'green' : event.result === 'failed' ? 'red' : 'yellow';
        const parts = [
          `${paint(output, style, describeRunResult(event))} (${describeStages(event.stages)})`,
          `exit ${event.exitCode} after ${formatDuration(event.durationMs)}`,
          ...describeStageLosses(event.stages),
          ...describeStageWarnings(event.stages),
          ...describeStageBackups(event.stages),
          ...describeStageRollouts(event.stages),
          ...describeStageFleets(event.stages),
          ...(event.message ? [oneLine(event.message)] : []),
          ...(event.action ? [paint(output, 'bold', `action: ${oneLine(event.action)}`)] : []),
        ];
        return `summary: ${parts.join('; ')}`;
      }
    }
  };

  const describeTenantMark = (status: string): string =>
    status === 'running' ? paint(output, 'blue', '…') : status === 'failed' ? paint(output, 'red', '✗') : status === 'skipped' ? paint(output, 'dim', '-') : paint(output, 'green', '✓');

  const fleetProgress = createPlainFleetProgress();

  return {
    write(event) {
      const progress = fleetProgress.observe(event);
      // A plain log shows a fleet's canaries, failures and counts, not one line per healthy tenant...
      if (!(event.type === 'tenant' && !event.canary && event.status !== 'failed')) output.out(`${elapsed(event.at)} ${line(event)}`);
      // ...and a progress line every 10% or every few seconds, never a redrawn one.
      if (progress) output.out(`${elapsed(event.at)} ${columns(progress.environment, 'migrate')}${progress.line}`);
    },
  };
}
