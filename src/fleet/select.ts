/**
 * Which tenants of a fleet a run works on, and which of them go first.
 * Pure: the engine resolves the tenant list (file or API) and asks here.
 */

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

/** How a run narrows a fleet before it starts (the CLI fills it; e.g. a shard of the list). */
export interface TenantSelection {
  /** Reserved for `--shard i/n` (branch shard). */
  shard?: { index: number; count: number };
}

/**
 * The one place the tenant list is narrowed before a run works on it. Today it is
 * every tenant, in order; `--shard i/n` lands here and nowhere else.
 */
export function selectTenants(tenants: readonly string[], _opts: TenantSelection = {}): string[] {
  return [...tenants];
}
