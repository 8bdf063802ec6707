/**
 * What happened to one tenant of a fleet in one run. The journal records one
 * of these per tenant (a `tenant` event), which is what `promote resume`,
 * `promote status`, the job summary and Slack read.
 */

/**
 * - applied: this run migrated the tenant (its ledger has the pending set now).
 * - unchanged: nothing was pending (already at the newest migration, e.g. a resumed run).
 * - failed: the tenant's preflight or migration failed; nothing of the failing chunk committed.
 * - skipped: never started (maxFailures reached, or the run was stopped).
 * - rolled-back: this run migrated it, then the stage failed and it was rolled back.
 */
export type TenantResult = 'applied' | 'unchanged' | 'failed' | 'skipped' | 'rolled-back';

export const TENANT_RESULTS: readonly TenantResult[] = ['applied', 'unchanged', 'failed', 'skipped', 'rolled-back'];

export interface TenantOutcome {
  environment: string;
  binding: string;
  tenant: string;
  result: TenantResult;
  /** Migrations this run applied (applied), or rolled back (rolled-back). */
  migrations: string[];
  /** Newest migration in the tenant's ledger after the run. */
  version?: string;
  error?: string;
  canary?: boolean;
}

/** Every result with its count, zeros included (the shape fleet-end events and summaries carry). */
export function countResults(outcomes: readonly Pick<TenantOutcome, 'result'>[]): Record<TenantResult, number> {
  const counts = Object.fromEntries(TENANT_RESULTS.map((r) => [r, 0])) as Record<TenantResult, number>;
  for (const o of outcomes) counts[o.result]++;
  return counts;
}
