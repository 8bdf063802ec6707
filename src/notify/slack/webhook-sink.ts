/**
 * Slack incoming-webhook mode: one message per notable transition. A webhook gives
 * no message id back, so nothing is updated or threaded: each message stands alone.
 * write() only queues; the queue sends in order with retries inside a time budget.
 */
import type { Dispatcher } from 'undici';
import { redactEvent } from '../redact.js';
import { clampMessage } from './block-kit.js';
import { buildNotableMessage, NOTABLE_KINDS, notableKind, type NotableKind } from './blocks.js';
import { redactPayload } from '../redact-payload.js';
import type { RunContext } from '../run-context.js';
import { emptyMemory, rememberEvent, type RunMemory } from '../run-memory.js';
import { createSendQueue } from '../send-queue.js';
import { postWebhook } from './slack-http.js';

export interface SlackSinkCommonOptions {
  context: RunContext;
  /** Which transitions to post; default all of NOTABLE_KINDS. */
  on?: readonly NotableKind[];
  /** Time budget per message, retries included. Default 10 s. */
  timeoutMs?: number;
  /** How long close() waits for queued messages. Default: timeoutMs. */
  closeDeadlineMs?: number;
  /** First retry delay (doubles per attempt, at most 4 s). Default 500 ms. */
  retryDelayMs?: number;
  /** Applied to every string of every payload before it leaves the process. */
  redact: (text: string) => string;
  /** A message that could not be sent; the run goes on. */
  onWarning: (message: string) => void;
  dispatcher?: Dispatcher;
}

export interface WebhookSinkOptions extends SlackSinkCommonOptions {
  url: string;
}

export type { NotifierSink } from '../notifier-sink.js';
import type { NotifierSink } from '../notifier-sink.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export function createSlackWebhookSink(options: WebhookSinkOptions): NotifierSink {
  const { redact } = options;
  const on = new Set<NotableKind>(options.on ?? NOTABLE_KINDS);
  const context = redactPayload(options.context, redact);
  const warn = (message: string): void => options.onWarning(redact(message));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const queue = createSendQueue({
    name: 'Slack webhook',
    budgetMs: timeoutMs,
    closeDeadlineMs: options.closeDeadlineMs ?? timeoutMs,
    onWarning: warn,
    ...(options.retryDelayMs !== undefined ? { baseDelayMs: options.retryDelayMs } : {}),
  });
  let memory: RunMemory = emptyMemory;

  return {
    write(raw) {
      try {
        const event = redactEvent(raw, redact);
        memory = rememberEvent(memory, event);
        const kind = notableKind(event);
        if (!kind || !on.has(kind)) return;
        const built = buildNotableMessage(event, context, memory);
        if (!built) return;
        const payload = clampMessage(redactPayload(built, redact));
        queue.enqueue(kind, (signal) =>
          postWebhook(options.url, payload, { signal, ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) }),
        );
      } catch (error) {
        warn(`Slack webhook: could not prepare a message: ${(error as Error)?.message ?? String(error)}`);
      }
    },
    drain: () => queue.drain(),
    close: () => queue.close(),
  };
}
