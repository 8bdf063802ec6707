/**
 * Ordered, bounded delivery for notifications. `enqueue` returns at once, so a slow
 * or dead Slack/GitHub never delays a promotion; messages go out one at a time in
 * order; each gets a total time budget across its retries (5xx, network errors,
 * 429 honouring Retry-After); `close()` flushes and returns by its deadline,
 * abandoning what is left. Nothing here throws: every failure is one warning.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** A failed attempt, classified by the transport. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** From a Retry-After header: wait at least this long before the next attempt. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface SendQueueOptions {
  /** Total time one message may take, all attempts and waits included. */
  budgetMs: number;
  onWarning: (message: string) => void;
  /** First retry delay, doubled per attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long close() waits for queued messages by default. */
  closeDeadlineMs?: number;
  /** Names the destination in warnings, e.g. "Slack webhook". */
  name: string;
}

export type Send = (signal: AbortSignal) => Promise<void>;

export interface SendQueue {
  enqueue(label: string, send: Send): void;
  /** Resolves when everything queued so far was delivered or given up on. */
  drain(): Promise<void>;
  /** Stop accepting, flush, and return within `deadlineMs`; never rejects. */
  close(deadlineMs?: number): Promise<void>;
}

export function createSendQueue(options: SendQueueOptions): SendQueue {
  const { budgetMs, name } = options;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 4000;
  const stop = new AbortController();
  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  let dropped = 0;

  const warn = (message: string): void => {
    try {
      options.onWarning(message);
    } catch {
      // A broken warning channel must not break delivery of the next message.
    }
  };

  const deliver = async (label: string, send: Send): Promise<void> => {
    if (stop.signal.aborted) {
      dropped++;
      return;
    }
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const remaining = budgetMs - (Date.now() - started);
      const attemptSignal = AbortSignal.any([stop.signal, AbortSignal.timeout(Math.max(1, remaining))]);
      let failure: DeliveryError;
      try {
        await send(attemptSignal);
        return;
      } catch (error) {
        if (stop.signal.aborted) {
          dropped++;
          return;
        }
        failure = classify(error, attemptSignal);
      }
      const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
      if (!failure.retryable) {
        warn(`${name}: "${label}" not sent: ${failure.message}`);
        return;
      }
      const delay = Math.max(failure.retryAfterMs ?? 0, Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      if (Date.now() - started + delay >= budgetMs) {
        warn(`${name}: "${label}" not sent: ${failure.message} (gave up after ${tries} within ${Math.round(budgetMs / 1000)} s)`);
        return;
      }
      if (!(await sleep(delay, stop.signal))) {
        dropped++;
        return;
      }
    }
  };

  const drain = (): Promise<void> => tail;

  return {
    enqueue(label, send) {
      if (closed) {
        warn(`${name}: "${label}" not sent: the notifier was already closed`);
        return;
      }
      tail = tail.then(() => deliver(label, send)).catch(() => undefined);
    },
    drain,
    async close(deadlineMs = options.closeDeadlineMs ?? budgetMs) {
      closed = true;
      const done = tail.then(() => true);
      if (!(await Promise.race([done, sleep(deadlineMs).then(() => false)]))) {
        stop.abort();
        // Aborted requests and waits settle at once; don't wait on a transport that ignores its signal.
        await Promise.race([done, sleep(50)]);
      }
      if (dropped > 0) warn(`${name}: ${dropped} message${dropped === 1 ? '' : 's'} not sent: no answer before the ${Math.round(deadlineMs / 100) / 10} s deadline at the end of the run`);
      dropped = 0;
    },
  };
}

function classify(error: unknown, signal: AbortSignal): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (signal.aborted) return new DeliveryError('no answer in time', false);
  const e = error as { code?: string; message?: string } | undefined;
  // Network failures (refused, reset, DNS) are worth another try; anything else is our bug or config.
  return new DeliveryError(`${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(error)}`, true);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts; never keeps the process alive. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return delay(ms, true, { ref: false, ...(signal ? { signal } : {}) }).catch(() => false);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.ceil(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
