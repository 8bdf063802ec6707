/**
 * Bot mode's two kinds of message: the root, one per run and edited as the run
 * moves (the channel shows where a promotion is now), and the replies in its
 * thread, one per finished step (the story). Pure.
 */
import type { RunEvent } from '../../events/run-events.js';
import { describeDetail, describeFailure, describeStageResult, formatDuration, oneLine } from '../describe.js';
import { escapeMrkdwn, fields, section, type SlackMessage } from './block-kit.js';
import { buildNotableMessage, commonFields, composeMessage, STAGE_EMOJI } from './blocks.js';
import type { RunContext } from '../run-context.js';
import type { RunMemory, StageMemory } from '../run-memory.js';

export function describeRunState(memory: RunMemory): string {
  if (memory.summary) return memory.summary.result === 'rolled-back' ? 'rolled back' : memory.summary.result;
  if (memory.interrupted) return 'interrupted';
  return 'running';
}

const RUN_EMOJI: Record<string, string> = {
  running: ':hourglass_flowing_sand:',
  promoted: ':white_check_mark:',
  'rolled back': ':leftwards_arrow_with_hook:',
  failed: ':x:',
  interrupted: ':double_vertical_bar:',
};

function describeStageState(stage: StageMemory): { emoji: string; text: string } {
  if (stage.result) {
    const took = stage.durationMs !== undefined ? ` · ${formatDuration(stage.durationMs)}` : '';
    return { emoji: STAGE_EMOJI[stage.result], text: `${describeStageResult(stage.result)}${took}` };
  }
  const last = stage.steps.at(-1);
  if (!last) return { emoji: ':white_small_square:', text: 'waiting' };
  if (last.state === 'failed') return { emoji: ':x:', text: `${last.step} failed` };
  return { emoji: ':hourglass_flowing_sand:', text: last.state === 'started' ? `${last.step}…` : `${last.step} done` };
}

export function buildRootMessage(memory: RunMemory, ctx: RunContext): SlackMessage {
  const state = describeRunState(memory);
  const target = memory.to ? ` → ${memory.to}` : '';
  const title = `Promotion ${ctx.pipeline}${target}: ${state}`;
  const lines = memory.stages.map((s) => {
    const { emoji, text } = describeStageState(s);
    return `${emoji} *${escapeMrkdwn(s.environment)}* ${escapeMrkdwn(text)}`;
  });
  const plain = memory.stages.map((s) => `${s.environment} ${describeStageState(s).text}`).join(', ');
  const summary = memory.summary;
  return composeMessage(`${RUN_EMOJI[state] ?? ''} ${title}`, `${title}${plain ? ` (${plain})` : ''}`, ctx, memory.runId ?? 'unknown', [
    ...(summary?.action ? [section(`:rotating_light: *Action required:* ${escapeMrkdwn(summary.action)}`)] : []),
    ...(lines.length > 0 ? [section(lines.join('\n'))] : []),
    fields([
      ...commonFields(ctx),
      ['Flags', [memory.dryRun ? 'dry run' : '', memory.resumed ? 'resumed' : ''].filter(Boolean).join(', ') || undefined],
      ['Duration', summary ? formatDuration(summary.durationMs) : undefined],
      ['Exit code', summary ? String(summary.exitCode) : undefined],
    ]),
  ]);
}

/** A thread reply for a finished step or the end of the run; undefined for events that are not worth one. */
export function buildThreadReply(event: RunEvent, ctx: RunContext, memory: RunMemory): SlackMessage | undefined {
  const notable = buildNotableMessage(event, ctx, memory);
  if (notable && event.type !== 'run.started') return notable;
  switch (event.type) {
    case 'step.succeeded': {
      const what = describeDetail(event.step, event.detail);
      const text = `${event.stage} ${event.step} done${what ? `: ${what}` : ''} (${formatDuration(event.durationMs)})`;
      return { text, blocks: [section(`:heavy_check_mark: *${escapeMrkdwn(event.stage)}* ${event.step} · ${formatDuration(event.durationMs)}${what ? `\n${escapeMrkdwn(what)}` : ''}`)] };
    }
    case 'step.failed': {
      const lines = describeFailure(event.step, event.error, event.detail);
      const text = `${event.stage} ${event.step} failed: ${lines.join('; ')}`;
      return { text, blocks: [section(`:x: *${escapeMrkdwn(event.stage)}* ${event.step} failed · ${formatDuration(event.durationMs)}\n${escapeMrkdwn(lines.join('\n'))}`)] };
    }
    case 'stage.finished':
      return event.result === 'promoted'
        ? undefined
        : { text: `${event.stage} ${describeStageResult(event.result)}`, blocks: [section(`${STAGE_EMOJI[event.result]} *${escapeMrkdwn(event.stage)}* ${describeStageResult(event.result)}`)] };
    case 'run.interrupted':
      return { text: `Interrupted: ${oneLine(event.message)}`, blocks: [section(`:double_vertical_bar: Interrupted: ${escapeMrkdwn(oneLine(event.message))}`)] };
    default:
      return undefined;
  }
}
