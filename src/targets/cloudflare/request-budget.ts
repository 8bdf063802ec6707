/**
 * Cloudflare's API allows 1,200 requests per 5 minutes per user; past that it
 * answers 429 for five minutes. One budget per run, taken by every request
 * promote sends (retries included), keeps the run under the limit: a request
 * that would exceed it waits for the window to free a slot, and when that wait
 * is longer than the run may wait (--wait), the run stops before sending it,
 * saying so, instead of collecting 429s.
 */
import { InvalidInputError, RunError } from '../../errors.js';

export interface RateLimit {
  requests: number;
  windowMs: number;
}

export const CLOUDFLARE_RATE_LIMIT: RateLimit = { requests: 1200, windowMs: 5 * 60_000 };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1200/5m", "100/10s": requests per window. */
export function parseRateLimit(text: string, source: string): RateLimit {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)(ms|s|m|h)\s*$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) <= 0) {
    throw new InvalidInputError([], `${source}=${text}: expected requests per window, like 1200/5m or 60/10s`);
  }
  return { requests: Number(m[1]), windowMs: Number(m[2]) * UNIT_MS[m[3]!]! };
}

export class RateLimitWaitTooLong extends RunError {}

export class RequestBudget {
  /** Send times inside the current window, oldest first. */
  private readonly sent: number[] = [];
  private readonly marginMs: number;
  /** Total time this run spent waiting for the budget (benchmarks and the summary can show it). */
  waitedMs = 0;

  constructor(
    readonly limit: RateLimit = CLOUDFLARE_RATE_LIMIT,
    /** Longest single wait for a slot; beyond it the request is not sent. */
    readonly maxWaitMs: number = Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {
    this.marginMs = Math.min(2000, Math.round(limit.windowMs / 10));
  }

  /** Resolves when `n` more requests fit the window, and counts them as sent. */
  async take(n = 1, signal?: AbortSignal): Promise<void> {
    if (n > this.limit.requests) throw new RunError(`one step needs ${n} Cloudflare API requests, more than the rate limit of ${this.describe()} allows`, 'raise PROMOTE_API_RATE_LIMIT to your account\'s real limit');
    let waited = 0;
    for (;;) {
      const t = this.now();
      while (this.sent.length > 0 && this.sent[0]! <= t - this.limit.windowMs - this.marginMs) this.sent.shift();
      if (this.sent.length + n <= this.limit.requests) {
        for (let i = 0; i < n; i++) this.sent.push(t);
        return;
      }
      // The slot frees when the request that made the window full leaves it, plus a margin: Cloudflare
      // counts a request when it arrives, which is a little after we counted it.
      const freeAt = this.sent[this.sent.length + n - this.limit.requests - 1]! + this.limit.windowMs + this.marginMs;
      const wait = Math.max(1, freeAt - t);
      if (waited + wait > this.maxWaitMs) {
        throw new RateLimitWaitTooLong(
          `the Cloudflare API rate limit (${this.describe()}) is used up: the next request could go in ${Math.ceil((waited + wait) / 1000)} s, longer than this run may wait (${Math.round(this.maxWaitMs / 1000)} s); it was not sent`,
          'run again later (promote resumes where it stopped), or pass a longer --wait so the run waits for the window',
        );
      }
      await sleep(wait, signal);
      waited += wait;
      this.waitedMs += wait;
    }
  }

  describe(): string {
    const w = this.limit.windowMs;
    const window = w % 60_000 === 0 ? `${w / 60_000} min` : w % 1000 === 0 ? `${w / 1000} s` : `${w} ms`;
    return `${this.limit.requests} requests per ${window}`;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
