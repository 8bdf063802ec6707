/**
 * A fleet's tenant file (fleet.source): one database id or name a line. Read
 * and judged whole at load, so a typo on line 812 is an exit 2 naming line 812
 * before any tenant is touched. Lines starting with # are comments; a blank
 * line is an error (it is almost always a deleted id or a merge leftover), except
 * trailing newlines at the end of the file.
 */

/** A D1 database name or uuid, and a Miniflare database id: letters, digits, - _ . */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface TenantListProblem {
  line: number;
  message: string;
  hint: string;
}

export interface TenantList {
  tenants: string[];
  /** Line of each tenant in the file (1-based). */
  lines: Map<string, number>;
  problems: TenantListProblem[];
}

export function parseTenantList(text: string): TenantList {
  const tenants: string[] = [];
  const lines = new Map<string, number>();
  const problems: TenantListProblem[] = [];
  const rows = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  if (rows.length === 1 && rows[0] === '') return { tenants, lines, problems: [{ line: 1, message: 'the tenant list is empty', hint: 'write one database id a line' }] };
  rows.forEach((raw, i) => {
    const line = i + 1;
    const id = raw.trim();
    if (id.startsWith('#')) return;
    if (id === '') {
      problems.push({ line, message: 'blank line in the tenant list', hint: 'remove it, or write the missing database id there (comments start with #)' });
      return;
    }
    if (!TENANT_ID.test(id)) {
      problems.push({ line, message: `"${id}" is not a database id or name`, hint: 'expected letters, digits, - _ or . (at most 64), one id a line' });
      return;
    }
    const first = lines.get(id);
    if (first !== undefined) {
      problems.push({ line, message: `tenant ${id} is listed twice (lines ${first} and ${line})`, hint: 'remove one: a tenant is migrated once per run' });
      return;
    }
    lines.set(id, line);
    tenants.push(id);
  });
  if (tenants.length === 0 && problems.length === 0) problems.push({ line: 1, message: 'the tenant list has no tenant (only comments)', hint: 'write one database id a line' });
  return { tenants, lines, problems };
}
