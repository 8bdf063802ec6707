/**
 * Timing of health check attempts: how long to wait after a failure, between
 * the passes of a streak, and between soak probes; and a sleep that honours
 * cancellation. Pure except for `sleep`.
 */
import { setTimeout as delay } from 'node:timers/promises';

export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 2000;
/** Spacing between passing attempts of a `consecutive` streak, so they are not back to back. */
export const STREAK_SPACING_MS = 100;
export const SOAK_INTERVAL_DEFAULT_MS = 1000;
export const SOAK_INTERVAL_MIN_MS = 50;

/**
 * Delay before the next attempt after the `failures`-th failure (1-based):
 * 100, 200, 400 … ms, capped at 2 s, with "equal jitter" (half fixed, half random)
 * so several promotions retrying the same Worker do not fall into step, while the
 * wait never drops below half the base (a retry storm would defeat the backoff).
 */
export function backoffDelay(failures: number, random: () => number): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** exponent);
  return jitter(base, random);
}

export function streakSpacing(random: () => number): number {
  return jitter(STREAK_SPACING_MS, random);
}

function jitter(ms: number, random: () => number): number {
  return Math.round(ms / 2 + (ms / 2) * clamp01(random()));
}

function clamp01(n: number): number {
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
}

/**
 * Interval between soak probes: the configured one, else 1 s, or soak/5 when that
 * is shorter (a short soak still gets about five looks); never below 50 ms.
 */
export function soakInterval(soakMs: number, configured?: number): number {
  const wanted = configured ?? Math.min(SOAK_INTERVAL_DEFAULT_MS, soakMs / 5);
  return Math.max(SOAK_INTERVAL_MIN_MS, Math.round(wanted));
}

/** node's timer as a promise; rejects with the signal's own reason when it aborts (not a generic AbortError). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (e) {
    throw signal?.aborted ? signal.reason : e;
  }
}
