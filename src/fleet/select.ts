/**
 * Which tenants of a fleet a run works on, and which of them go first.
 * Pure: the engine resolves the tenant list (file or API) and asks here.
 */
import { inShard, runsCanaries, type Shard } from './shard.js';

/** A canary setting: tenant ids, or a percentage of the fleet such as "2%". */
export type CanarySetting = readonly string[] | `${number}%`;

export const CANARY_PERCENT = /^(\d+(?:\.\d+)?)%$/;

/**
 * The canaries among `tenants`, in fleet order. A list is taken as written (ids not
 * in the fleet are the config's problem, checked at load); a percentage takes the
 * first ceil(p% of N) tenants of the fleet's order: deterministic (a resumed run
 * picks the same ones), at least one when the fleet is not empty and p > 0.
 */
export function selectCanaries(tenants: readonly string[], canary: CanarySetting): string[] {
  if (typeof canary === 'string') {
    const m = CANARY_PERCENT.exec(canary);
    const p = m ? Number(m[1]) : 0;
    if (p <= 0 || tenants.length === 0) return [];
    const n = Math.min(tenants.length, Math.max(1, Math.ceil((tenants.length * p) / 100)));
    return tenants.slice(0, n);
  }
  const wanted = new Set(canary);
  return tenants.filter((t) => wanted.has(t));
}

/** How a run narrows a fleet before it starts (the CLI fills it from `--shard i/n`). */
export interface TenantSelection {
  shard?: Shard;
  /** The fleet's canary setting, for callers of selectTenants: shard 1 takes every canary. */
  canary?: CanarySetting;
}

/** What one run of a fleet works on: its tenants in fleet order, and which of them are the canaries. */
export interface FleetWork {
  tenants: string[];
  canaries: string[];
}

/**
 * The one place the tenant list is narrowed before a run works on it. Without a
 * shard, every tenant. With `--shard i/n`, the tenants whose id hashes to shard i
 * (shard.ts: stable when tenants are added), and the canaries belong to shard 1
 * alone: they are chosen over the whole fleet (the same ones whatever n is), shard
 * 1 runs all of them first, then its slice; shards 2..n never run a canary (the
 * workflow starts them only after shard 1 succeeded: `needs`).
 */
export function selectFleetWork(tenants: readonly string[], canary: CanarySetting, opts: TenantSelection = {}): FleetWork {
  const canaries = selectCanaries(tenants, canary);
  const { shard } = opts;
  if (!shard) return { tenants: [...tenants], canaries };
  const isCanary = new Set(canaries);
  if (runsCanaries(shard)) return { tenants: tenants.filter((t) => isCanary.has(t) || inShard(t, shard)), canaries };
  return { tenants: tenants.filter((t) => !isCanary.has(t) && inShard(t, shard)), canaries: [] };
}

/** The tenants a run works on (selectFleetWork's, for callers that do not pick canaries). */
export function selectTenants(tenants: readonly string[], opts: TenantSelection = {}): string[] {
  return selectFleetWork(tenants, opts.canary ?? [], opts).tenants;
}
