/**
 * Slack bot-token mode: chat.postMessage once per run (the root), chat.update of
 * the root as the run moves, and one reply per finished step in the root's thread.
 * Same queue as webhook mode: write() never blocks, order is kept, close() has a deadline.
 */
import { redactEvent } from '../redact.js';
import { clampMessage, type SlackMessage } from './block-kit.js';
import { redactPayload } from '../redact-payload.js';
import { emptyMemory, rememberEvent, type RunMemory } from '../run-memory.js';
import { createSendQueue, DeliveryError } from '../send-queue.js';
import { callWebApi } from './slack-http.js';
import { buildRootMessage, buildThreadReply } from './thread-blocks.js';
import { DEFAULT_TIMEOUT_MS, type NotifierSink, type SlackSinkCommonOptions } from './webhook-sink.js';

export interface BotSinkOptions extends Omit<SlackSinkCommonOptions, 'on'> {
  token: string;
  /** Channel id (C0123…) or name. */
  channel: string;
  /** Web API base URL; default https://slack.com/api. */
  apiUrl?: string;
}

export const SLACK_API_URL = 'https://slack.com/api';

export function createSlackBotSink(options: BotSinkOptions): NotifierSink {
  const { redact } = options;
  const apiUrl = options.apiUrl ?? SLACK_API_URL;
  const context = redactPayload(options.context, redact);
  const warn = (message: string): void => options.onWarning(redact(message));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const queue = createSendQueue({
    name: 'Slack',
    budgetMs: timeoutMs,
    closeDeadlineMs: options.closeDeadlineMs ?? timeoutMs,
    onWarning: warn,
    ...(options.retryDelayMs !== undefined ? { baseDelayMs: options.retryDelayMs } : {}),
  });
  let memory: RunMemory = emptyMemory;
  let root: { channel: string; ts: string } | undefined;
  let rootRequested = false;
  let updateQueued = false;

  const call = (method: string, body: SlackMessage & Record<string, unknown>, signal: AbortSignal) =>
    callWebApi<{ channel?: string; ts?: string }>(apiUrl, method, clampAndRedact(body), {
      signal,
      token: options.token,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });

  const clampAndRedact = (body: SlackMessage & Record<string, unknown>): Record<string, unknown> => {
    const { text, blocks, ...rest } = body;
    return { ...rest, ...clampMessage(redactPayload({ text, blocks }, redact)) };
  };

  // When the root failed for good its warning was given; replies without a thread would be noise.
  let orphans = 0;
  const needRoot = (): { channel: string; ts: string } | undefined => {
    if (!root) orphans++;
    return root;
  };

  const postRoot = (): void => {
    rootRequested = true;
    queue.enqueue('root message', async (signal) => {
      const answer = await call('chat.postMessage', { channel: options.channel, ...buildRootMessage(memory, context) }, signal);
      if (!answer.ts) throw new DeliveryError('chat.postMessage answered without a ts', false);
      root = { channel: answer.channel ?? options.channel, ts: answer.ts };
    });
  };

  // Several transitions in a row need one edit, made with the newest state when its turn comes.
  const updateRoot = (): void => {
    if (updateQueued) return;
    updateQueued = true;
    queue.enqueue('root update', async (signal) => {
      updateQueued = false;
      const target = needRoot();
      if (!target) return;
      const { channel, ts } = target;
      await call('chat.update', { channel, ts, ...buildRootMessage(memory, context) }, signal);
    });
  };

  const reply = (label: string, message: SlackMessage): void => {
    queue.enqueue(label, async (signal) => {
      const target = needRoot();
      if (!target) return;
      const { channel, ts } = target;
      await call('chat.postMessage', { channel, thread_ts: ts, ...message }, signal);
    });
  };

  return {
    write(raw) {
      try {
        const event = redactEvent(raw, redact);
        const before = memory;
        memory = rememberEvent(memory, event);
        if (!rootRequested) {
          postRoot();
          if (event.type === 'run.started') return;
        }
        const message = buildThreadReply(event, context, memory);
        if (message) reply(`${event.type}${'step' in event ? ` ${event.stage} ${event.step}` : ''}`, message);
        if (changesRoot(before, memory, event.type)) updateRoot();
      } catch (error) {
        warn(`Slack: could not prepare a message: ${(error as Error)?.message ?? String(error)}`);
      }
    },
    drain: () => queue.drain(),
    close: async () => {
      await queue.close();
      if (orphans > 0) warn(`Slack: ${orphans} update${orphans === 1 ? '' : 's'} not sent: the run's root message could not be posted`);
      orphans = 0;
    },
  };
}

/** The root shows stage states and the result: edit it when one of those changed. */
function changesRoot(before: RunMemory, after: RunMemory, type: string): boolean {
  if (type === 'summary' || type === 'run.interrupted' || type === 'stage.finished') return true;
  if (type === 'step.failed') return true;
  // A stage's first step: the stage went from waiting to running.
  return before.stages.some((s, i) => s.steps.length === 0 && (after.stages[i]?.steps.length ?? 0) > 0);
}
