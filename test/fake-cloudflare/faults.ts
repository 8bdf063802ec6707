/**
 * The fault schedule: which requests the fake refuses, fails, drops or leaves hanging.
 *
 * Rules are checked in the order: every `failNext` rule still owed a fault (oldest first), then
 * every `failRate` rule. `phase: 'after'` lets the request take effect before the answer is lost,
 * which is the case a client cannot tell from a refused request.
 */

export type FaultKind = '429' | '500' | 'reset' | 'hang';

export interface FaultFilter {
  /** Only requests with this method (case-insensitive). */
  method?: string;
  /** Only requests whose path (below the API base, e.g. /accounts/x/d1/database/y/query) matches. */
  path?: RegExp;
  /** 'before' (default): the request is not processed. 'after': it is processed, then the answer is replaced. */
  phase?: 'before' | 'after';
}

interface CountRule {
  type: 'count';
  kind: FaultKind;
  remaining: number;
  filter: FaultFilter;
}

interface RateRule {
  type: 'rate';
  fraction: number;
  kinds: FaultKind[];
  random: () => number;
  filter: FaultFilter;
}

/** mulberry32: tiny, seedable, good enough to make a schedule reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultSchedule {
  /** Seconds sent in Retry-After with every injected 429. */
  retryAfterSeconds = 1;
  private countRules: CountRule[] = [];
  private rateRules: RateRule[] = [];

  /** The next `n` matching requests fail with `kind`. */
  failNext(n: number, kind: FaultKind, filter: FaultFilter = {}): void {
    if (n > 0) this.countRules.push({ type: 'count', kind, remaining: n, filter });
  }

  /** Each matching request fails with probability `fraction`, with a kind drawn from `kinds`; `seed` makes it repeatable. */
  failRate(fraction: number, kinds: FaultKind[], seed: number, filter: FaultFilter = {}): void {
    if (kinds.length === 0) throw new Error('failRate needs at least one kind');
    this.rateRules.push({ type: 'rate', fraction, kinds: [...kinds], random: seededRandom(seed), filter });
  }

  clear(): void {
    this.countRules = [];
    this.rateRules = [];
  }

  /** Faults still owed by failNext rules. */
  get pending(): number {
    return this.countRules.reduce((sum, r) => sum + r.remaining, 0);
  }

  /** Decides (and consumes) the fault for one request at one phase. */
  take(method: string, path: string, phase: 'before' | 'after'): FaultKind | undefined {
    for (const rule of this.countRules) {
      if (rule.remaining > 0 && matches(rule.filter, method, path, phase)) {
        rule.remaining--;
        this.countRules = this.countRules.filter((r) => r.remaining > 0);
        return rule.kind;
      }
    }
    for (const rule of this.rateRules) {
      if (!matches(rule.filter, method, path, phase)) continue;
      if (rule.random() < rule.fraction) return rule.kinds[Math.floor(rule.random() * rule.kinds.length)];
    }
    return undefined;
  }
}

function matches(filter: FaultFilter, method: string, path: string, phase: 'before' | 'after'): boolean {
  if ((filter.phase ?? 'before') !== phase) return false;
  if (filter.method && filter.method.toUpperCase() !== method.toUpperCase()) return false;
  if (filter.path) {
    filter.path.lastIndex = 0;
    if (!filter.path.test(path)) return false;
  }
  return true;
}
