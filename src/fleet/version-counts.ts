/**
 * A fleet at a glance: how many tenants are at each version, newest first, and
 * which failed in the last run — `198 at 0003, 2 at 0002 (failed: t-0007, t-0101)`.
 */

export interface TenantVersion {
  tenant: string;
  /** Newest migration in the tenant's ledger (its file name); undefined: nothing applied. */
  version?: string;
}

/** The number a migration file starts with ("0003" of 0003_users.sql), else the whole name. */
export function versionLabel(version: string | undefined): string {
  if (version === undefined) return 'nothing';
  return /^(\d+)/.exec(version.split('/').at(-1) ?? version)?.[1] ?? version;
}

export function versionCounts(tenants: readonly TenantVersion[]): { version: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const t of tenants) counts.set(versionLabel(t.version), (counts.get(versionLabel(t.version)) ?? 0) + 1);
  // Newest first: "nothing" sorts last, numbers by value.
  return [...counts.entries()]
    .map(([version, count]) => ({ version, count }))
    .sort((a, b) => (a.version === 'nothing' ? 1 : b.version === 'nothing' ? -1 : b.version.localeCompare(a.version, undefined, { numeric: true })));
}

export function describeVersionCounts(tenants: readonly TenantVersion[], failed: readonly string[] = [], named = 10): string {
  const parts = versionCounts(tenants).map((c) => (c.version === 'nothing' ? `${c.count} with nothing applied` : `${c.count} at ${c.version}`));
  const list = failed.slice(0, named).join(', ') + (failed.length > named ? ` and ${failed.length - named} more` : '');
  return `${parts.join(', ') || 'no tenants'}${failed.length > 0 ? ` (failed: ${list})` : ''}`;
}
