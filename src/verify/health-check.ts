/**
 * The verify step: smoke-test a deployed Worker's health endpoints and return
 * the evidence for every check (a failing check does not stop the others, so the
 * journal shows the whole picture).
 *
 * Checks run one after another, not concurrently: a freshly deployed Worker (or a
 * Miniflare on a 2-core runner) is not load-tested by its own verification, latency
 * measurements are not skewed by our own parallel requests, live progress reads in
 * order, and results come back in config order. The price is that soak windows add
 * up rather than overlap.
 */
import type { Dispatcher } from 'undici';
import type { HealthCheck } from '../config/schema.js';
import type { CheckEvidence, CheckResult } from '../events/run-events.js';
import { backoffDelay, sleep as defaultSleep, soakInterval, streakSpacing } from './backoff.js';
import { defaultDispatcher, probe } from './http-probe.js';

export interface VerifyOptions {
  /** Cancels the run: no further attempts or waits; runHealthChecks rejects with its reason. */
  signal?: AbortSignal;
  /** Hides secrets; applied to URLs, names derived from URLs, reasons and body excerpts. */
  redact?: (s: string) => string;
  /** Milliseconds between soak probes (default 1000, or soak/5 when shorter; never below 50). */
  soakInterval?: number;
  /** Live progress: called once per attempt with its (redacted) evidence. Errors it throws are ignored. */
  onAttempt?: (check: HealthCheck, evidence: CheckEvidence) => void;
  /** Default: a module-level keep-alive undici Agent. */
  dispatcher?: Dispatcher;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

export interface VerifyOutcome {
  ok: boolean;
  results: CheckResult[];
}

/** `baseUrl`: the environment's Worker URL; undefined when it has none (then only absolute URLs can be checked). */
export async function runHealthChecks(checks: readonly HealthCheck[], baseUrl: string | undefined, opts: VerifyOptions = {}): Promise<VerifyOutcome> {
  const results: CheckResult[] = [];
  for (const check of checks) results.push(await runHealthCheck(check, baseUrl, opts));
  return { ok: results.every((r) => r.ok), results };
}

/** Relative URLs resolve against the environment's Worker URL; absolute ones are used as they are. */
export function resolveCheckUrl(url: string, baseUrl: string | undefined): URL {
  return baseUrl === undefined ? new URL(url) : new URL(url, baseUrl);
}

type Verdict = { passed: true } | { passed: false; reason?: string };

export async function runHealthCheck(check: HealthCheck, baseUrl: string | undefined, opts: VerifyOptions = {}): Promise<CheckResult> {
  const { signal } = opts;
  const redact = opts.redact ?? ((s: string) => s);
  const now = opts.now ?? (() => performance.now());
  const random = opts.random ?? Math.random;
  const sleepFor = async (ms: number): Promise<void> => {
    signal?.throwIfAborted();
    await (opts.sleep ?? defaultSleep)(ms, signal);
    // An injected sleep may ignore the signal; cancellation must still win.
    signal?.throwIfAborted();
  };

  signal?.throwIfAborted();
  const started = now();
  const name = check.name ?? redact(`${check.method} ${check.url}`);
  const attempts: CheckEvidence[] = [];
  const finish = (verdict: Verdict, url: string): CheckResult =>
    summarize({ name, url, ok: verdict.passed, inconclusive: false, attempts, durationMs: Math.round(now() - started) }, verdict, check.consecutive);

  let url: URL;
  try {
    url = resolveCheckUrl(check.url, baseUrl);
  } catch {
    const reason = baseUrl === undefined ? `${check.url} is relative and this environment has no Worker URL to resolve it against (set worker.url, or write the check's URL in full)` : `invalid URL ${check.url} (base ${baseUrl})`;
    return finish({ passed: false, reason: redact(reason) }, redact(check.url));
  }
  const shownUrl = redact(url.href);
  const ctx = { dispatcher: opts.dispatcher ?? defaultDispatcher(), now, redact, ...(signal ? { signal } : {}) };

  const attempt = async (): Promise<CheckEvidence> => {
    signal?.throwIfAborted();
    const evidence: CheckEvidence = { attempt: attempts.length + 1, ...(await probe(url, check, ctx)) };
    attempts.push(evidence);
    try {
      opts.onAttempt?.(check, evidence);
    } catch {
      // Progress display must never change the verdict.
    }
    return evidence;
  };

  // Streak phase: `consecutive` passes in a row within consecutive + retries attempts.
  const budget = check.consecutive + check.retries;
  let streak = 0;
  let failures = 0;
  for (;;) {
    const evidence = await attempt();
    if (evidence.ok) {
      streak++;
      if (streak >= check.consecutive) break;
    } else {
      streak = 0;
      failures++;
    }
    // Stop as soon as the remaining budget cannot complete a streak.
    if (budget - attempts.length < check.consecutive - streak) return finish({ passed: false }, shownUrl);
    await sleepFor(evidence.ok ? streakSpacing(random) : backoffDelay(failures, random));
  }

  // Soak phase: keep looking until `soak` has elapsed; one failure fails the check.
  if (check.soak > 0) {
    const interval = soakInterval(check.soak, opts.soakInterval);
    const soakStart = now();
    for (;;) {
      const remaining = check.soak - (now() - soakStart);
      if (remaining <= 0) break;
      await sleepFor(Math.min(interval, remaining));
      const at = Math.round(now() - soakStart);
      const evidence = await attempt();
      if (!evidence.ok) return finish({ passed: false, reason: `failed during soak after ${at} ms: ${evidence.reason ?? 'failed'}` }, shownUrl);
    }
  }
  return finish({ passed: true }, shownUrl);
}

/** Builds the result; reasons come from already-redacted evidence, so they are not redacted twice. */
function summarize(result: CheckResult, verdict: Verdict, consecutive: number): CheckResult {
  const { attempts } = result;
  if (verdict.passed) return result;
  if (verdict.reason !== undefined) return { ...result, reason: verdict.reason };
  if (attempts.length > 0 && attempts.every((a) => a.noAnswer)) {
    return { ...result, inconclusive: true, reason: `could not decide: no answer in ${attempts.length} attempt(s) (${describeNoAnswers(attempts)})` };
  }
  return { ...result, reason: describeFailure(attempts, consecutive) };
}

function describeNoAnswers(attempts: CheckEvidence[]): string {
  const timeouts = attempts.filter((a) => a.reason?.startsWith('no answer within')).length;
  if (timeouts === attempts.length) return 'timeouts only';
  if (timeouts === 0) return `connection errors only: ${attempts.at(-1)?.reason ?? 'unknown'}`;
  return 'timeouts and connection errors';
}

function describeFailure(attempts: CheckEvidence[], consecutive: number): string {
  const failed = attempts.filter((a) => !a.ok);
  const lastReason = failed.at(-1)?.reason ?? 'failed';
  if (failed.length === attempts.length) return `${lastReason} (all ${attempts.length} attempt(s) failed)`;
  return `${lastReason} (needed ${consecutive} passes in a row, longest streak ${longestStreak(attempts)}; ${failed.length} of ${attempts.length} attempts failed)`;
}

function longestStreak(attempts: CheckEvidence[]): number {
  let best = 0;
  let run = 0;
  for (const a of attempts) {
    run = a.ok ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}
