/**
 * Slack messages for the transitions a team wants to hear about. Pure: an event,
 * the run context and what is known of the run in, a Block Kit message out, with
 * every Slack limit enforced by `clampMessage`. Wording comes from describe.ts so
 * Slack says what the CI log says.
 */
import type { CheckResult, RunEvent } from '../../events/run-events.js';
import {
  describeFleetCounts,
  describeCheckFailure,
  describeDetail,
  describeFailure,
  describeLostWrites,
  describeMigrations,
  describeSeeds,
  describeRunResult,
  describeStageResult,
  describeStageWarnings,
  describeStages,
  failingChecks,
  formatDuration,
  oneLine,
} from '../describe.js';
import { clampMessage, codeBlock, context, escapeMrkdwn, fields, header, link, section, type Block, type SlackMessage } from './block-kit.js';
import { describeTrigger, shortCommit, type RunContext } from '../run-context.js';
import { findStage, type RunMemory, type SummaryEvent } from '../run-memory.js';

export { runContextFromEnv, type RunContext } from '../run-context.js';

import { NOTABLE_KINDS, type NotableKind } from '../../config/slack-config.js';
export { NOTABLE_KINDS, type NotableKind };

type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

/** Which notable transition an event is, if any. */
export function notableKind(event: RunEvent): NotableKind | undefined {
  switch (event.type) {
    case 'run.started':
      return 'run.started';
    case 'stage.finished':
      return event.result === 'promoted' ? 'stage.promoted' : undefined;
    case 'step.failed':
      if (event.step === 'verify') return 'verify.failed';
      return event.step === 'rollback' || event.step === 'reverify' ? 'rollback.failed' : undefined;
    case 'step.succeeded':
      return event.step === 'rollback' ? 'rollback.done' : undefined;
    case 'summary':
      return 'run.finished';
    default:
      return undefined;
  }
}

/** The message for a notable event; undefined for the others. */
export function buildNotableMessage(event: RunEvent, ctx: RunContext, memory: RunMemory): SlackMessage | undefined {
  switch (notableKind(event)) {
    case 'run.started':
      return buildRunStarted(event as Of<'run.started'>, ctx);
    case 'stage.promoted':
      return buildStagePromoted(event as Of<'stage.finished'>, ctx, memory);
    case 'verify.failed':
      return buildVerifyFailed(event as Of<'step.failed'>, ctx);
    case 'rollback.done':
      return buildRollbackDone(event as Of<'step.succeeded'>, ctx, memory);
    case 'rollback.failed':
      return buildRollbackFailed(event as Of<'step.failed'>, ctx, memory);
    case 'run.finished':
      return buildRunFinished(event as SummaryEvent, ctx, memory);
    case undefined:
      return undefined;
  }
}

export function buildRunStarted(event: Of<'run.started'>, ctx: RunContext): SlackMessage {
  const flags = [event.dryRun ? 'dry run' : '', event.resumed ? 'resumed' : ''].filter(Boolean).join(', ');
  const title = `Promotion started: ${event.pipeline} → ${event.to}${flags ? ` (${flags})` : ''}`;
  return composeMessage(`:rocket: ${title}`, `${title}. Stages: ${event.stages.join(' → ')}`, ctx, event.runId, [
    fields([
      ['Stages', escapeMrkdwn(event.stages.join(' → '))],
      ...commonFields(ctx),
    ]),
  ]);
}

export function buildStagePromoted(event: Of<'stage.finished'>, ctx: RunContext, memory: RunMemory): SlackMessage {
  const stage = findStage(memory, event.stage);
  const title = `${event.stage} promoted`;
  const version = stage?.workerVersion ? `${stage.workerVersion}${stage.previousWorkerVersion ? ` (was ${stage.previousWorkerVersion})` : ''}` : undefined;
  return composeMessage(`:white_check_mark: ${title}`, `${title} in ${formatDuration(event.durationMs)} (${describeMigrations(stage?.migrations ?? [])})`, ctx, event.runId, [
    fields([
      ['Environment', escapeMrkdwn(event.stage)],
      ...commonFields(ctx),
      ['Duration', formatDuration(event.durationMs)],
      ['Migrations', escapeMrkdwn(describeMigrations(stage?.migrations ?? []))],
      ['Worker version', version && escapeMrkdwn(version)],
      ['Bookmark', stage?.bookmark && `\`${escapeMrkdwn(stage.bookmark)}\``],
      ...(stage?.fleets ?? []).map((f): [string, string] => [`Fleet ${escapeMrkdwn(f.binding)}`, escapeMrkdwn(describeFleetCounts(f.counts, f.failed))]),
    ]),
  ]);
}

export function buildVerifyFailed(event: Of<'step.failed'>, ctx: RunContext): SlackMessage {
  const title = `${event.stage}: verification failed`;
  const checks = failingChecks(event.detail);
  const lines = describeFailure(event.step, event.error, event.detail);
  return composeMessage(`:x: ${title}`, `${title}: ${lines.join('; ')}`, ctx, event.runId, [
    fields([['Environment', escapeMrkdwn(event.stage)], ...commonFields(ctx), ['Verify took', formatDuration(event.durationMs)]]),
    ...(checks.length > 0 ? checks.flatMap(checkBlocks) : [section(escapeMrkdwn(oneLine(event.error)))]),
  ]);
}

export function buildRollbackDone(event: Of<'step.succeeded'>, ctx: RunContext, memory: RunMemory): SlackMessage {
  const d = event.detail;
  const stage = findStage(memory, event.stage);
  const bookmark = d?.bookmark ?? stage?.bookmark;
  const title = `${event.stage} rolled back`;
  const story = describeDetail('rollback', d) || 'rolled back';
  // The lost writes get their own warning section; the rest of the story follows.
  const rest = d ? describeDetail('rollback', { ...d, lostWritesWindowMs: undefined }) : '';
  const lost = d?.lostWritesWindowMs !== undefined ? describeLostWrites(bookmark, d.lostWritesWindowMs) : undefined;
  return composeMessage(`:leftwards_arrow_with_hook: ${title}`, `${title}: ${story}`, ctx, event.runId, [
    ...(lost ? [section(`:warning: *Writes lost:* ${escapeMrkdwn(lost)}. Replay them from your logs if they matter.`)] : []),
    ...(rest ? [section(escapeMrkdwn(rest))] : []),
    fields([
      ['Environment', escapeMrkdwn(event.stage)],
      ...commonFields(ctx),
      ['Rollback took', formatDuration(event.durationMs)],
      ['Bookmark', bookmark && `\`${escapeMrkdwn(bookmark)}\``],
      ['Lost-writes window', d?.lostWritesWindowMs !== undefined ? formatDuration(d.lostWritesWindowMs) : undefined],
      ['Worker version', d?.workerVersion && escapeMrkdwn(`${d.workerVersion}${d.previousWorkerVersion ? ` (was ${d.previousWorkerVersion})` : ''}`)],
    ]),
  ]);
}

export function buildRollbackFailed(event: Of<'step.failed'>, ctx: RunContext, memory: RunMemory): SlackMessage {
  const stage = findStage(memory, event.stage);
  const title = `${event.stage}: ${event.step === 'reverify' ? 'still failing after rollback' : 'rollback failed'}. Act now`;
  const lines = describeFailure(event.step, event.error, event.detail);
  return composeMessage(`:rotating_light: ${title}`, `${title}: ${lines.join('; ')}`, ctx, event.runId, [
    section(`*${event.stage} may be serving a broken version.* What happened:\n${codeBlock(lines.join('\n'))}`),
    fields([
      ['Environment', escapeMrkdwn(event.stage)],
      ...commonFields(ctx),
      ['Step', event.step],
      ['Took', formatDuration(event.durationMs)],
      ['Bookmark', stage?.bookmark && `\`${escapeMrkdwn(stage.bookmark)}\``],
    ]),
  ]);
}

const RESULT_EMOJI: Record<SummaryEvent['result'], string> = {
  promoted: ':white_check_mark:',
  'rolled-back': ':leftwards_arrow_with_hook:',
  failed: ':x:',
  interrupted: ':double_vertical_bar:',
};
export const STAGE_EMOJI = { promoted: ':white_check_mark:', 'rolled-back': ':leftwards_arrow_with_hook:', failed: ':x:', skipped: ':black_right_pointing_double_triangle_with_vertical_bar:' } as const;

export function buildRunFinished(event: SummaryEvent, ctx: RunContext, memory: RunMemory): SlackMessage {
  const target = memory.to ? ` → ${memory.to}` : '';
  const title = `Promotion ${describeRunResult(event)}: ${ctx.pipeline}${target}`;
  const stageLines = event.stages.map((s) => {
    const parts = [`${STAGE_EMOJI[s.result]} *${escapeMrkdwn(s.environment)}* ${describeStageResult(s.result)}`];
    if (s.result !== 'skipped') parts.push(formatDuration(s.durationMs));
    if (s.migrations.length > 0) parts.push(escapeMrkdwn(describeMigrations(s.migrations)));
    if (s.seeds && s.seeds.length > 0) parts.push(escapeMrkdwn(describeSeeds(s.seeds)));
    if (s.workerVersion) parts.push(`version ${escapeMrkdwn(s.workerVersion)}`);
    if (s.bookmark) parts.push(`bookmark \`${escapeMrkdwn(s.bookmark)}\``);
    if (s.lostWritesWindowMs !== undefined) parts.push(`:warning: ${formatDuration(s.lostWritesWindowMs)} of writes lost`);
    for (const f of s.fleets ?? []) parts.push(`fleet ${escapeMrkdwn(f.binding)}: ${escapeMrkdwn(describeFleetCounts(f.counts, f.failed))}`);
    return parts.join(' · ');
  });
  const warnings = describeStageWarnings(event.stages);
  const text = [`${title} (${describeStages(event.stages)}); exit ${event.exitCode}`, event.message, event.action ? `Action required: ${event.action}` : undefined, ...warnings]
    .filter(Boolean)
    .join('. ');
  return composeMessage(`${RESULT_EMOJI[event.result]} ${title}`, text, ctx, event.runId, [
    ...(event.action ? [section(`:rotating_light: *Action required:* ${escapeMrkdwn(event.action)}`)] : []),
    ...(event.message ? [section(escapeMrkdwn(oneLine(event.message)))] : []),
    ...(warnings.length > 0 ? [section(warnings.map((w) => `:warning: ${escapeMrkdwn(w)}`).join('\n'))] : []),
    fields([...commonFields(ctx), ['Duration', formatDuration(event.durationMs)], ['Exit code', String(event.exitCode)]]),
    ...(stageLines.length > 0 ? [section(stageLines.join('\n'))] : []),
  ]);
}

/** One section per failing check with its evidence: URL, status, latency, reason, body. */
function checkBlocks(check: CheckResult): Block[] {
  const last = check.attempts.at(-1);
  const status = last?.noAnswer || last?.status === undefined ? 'no answer' : String(last.status);
  const blocks: Block[] = [
    section(`*${escapeMrkdwn(check.name)}* ${link(check.url, check.url)}\n${escapeMrkdwn(describeCheckFailure(check))}`),
  ];
  const evidence = fields([
    ['Status', status],
    ['Latency', last ? formatDuration(last.latencyMs) : undefined],
    ['Attempts', String(check.attempts.length)],
    ['Reason', escapeMrkdwn(oneLine(check.reason ?? last?.reason ?? (check.inconclusive ? 'no answer' : 'failed')))],
  ]);
  if (evidence) blocks.push(evidence);
  if (last?.bodyExcerpt) blocks.push(section(`Body (first ${last.bodyExcerpt.length} characters):\n${codeBlock(last.bodyExcerpt)}`));
  return blocks;
}

export function commonFields(ctx: RunContext): [string, string | undefined][] {
  const trigger = describeTrigger(ctx);
  return [
    ['Commit', ctx.commit && (ctx.commitUrl ? link(ctx.commitUrl, shortCommit(ctx.commit)) : `\`${escapeMrkdwn(shortCommit(ctx.commit))}\``)],
    ['Triggered by', trigger && escapeMrkdwn(trigger)],
  ];
}

/** Header, body, then a context line naming the pipeline, run and CI run: the frame of every message. */
export function composeMessage(title: string, text: string, ctx: RunContext, runId: string, body: (Block | undefined)[]): SlackMessage {
  const where = [`pipeline *${escapeMrkdwn(ctx.pipeline)}*`, `run \`${escapeMrkdwn(runId)}\``];
  if (ctx.repository) where.push(escapeMrkdwn(ctx.repository));
  if (ctx.ciRunUrl) where.push(link(ctx.ciRunUrl, 'CI run'));
  const blocks = [header(title), ...body.filter((b): b is Block => b !== undefined), context(where)];
  return clampMessage({ text: oneLine(text), blocks });
}
