/**
 * A fleet's tenant file (fleet.source), read from disk: at load for every
 * environment (so a bad line is an exit 2 before anything runs), and again by a
 * target when it lists the tenants (the file is small; it is the truth at that moment).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import type { Problem } from '../problems.js';
import { parseTenantList, type TenantList } from '../fleet/tenant-list.js';
import type { KeyPath } from './key-path.js';
import type { Environment } from './schema.js';

/** Tenant files may be long (thousands of tenants), never huge. */
const MAX_TENANT_FILE_BYTES = 4 * 1024 * 1024;

export async function readTenantFile(root: string, source: string): Promise<{ list?: TenantList; problems: Problem[] }> {
  const file = source.replace(/\\/g, '/');
  let text: string;
  try {
    const bytes = await readFile(path.resolve(root, source));
    if (bytes.length > MAX_TENANT_FILE_BYTES) {
      return { problems: [{ severity: 'error', code: 'E_FLEET_SOURCE', file, message: `the tenant list is ${bytes.length} bytes, more than ${MAX_TENANT_FILE_BYTES}`, hint: 'one database id a line: is this the right file?' }] };
    }
    text = bytes.toString('utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      problems: [
        {
          severity: 'error',
          code: 'E_FLEET_SOURCE',
          file,
          message: missing ? `fleet.source ${file} does not exist` : `fleet.source ${file} cannot be read: ${(e as Error).message}`,
          hint: 'create it with one tenant database id a line (relative to the project root), or fix fleet.source',
        },
      ],
    };
  }
  const list = parseTenantList(text);
  return { list, problems: list.problems.map((p) => ({ severity: 'error' as const, code: 'E_FLEET_SOURCE', file, line: p.line, message: p.message, hint: p.hint })) };
}

/** The tenants of a source file, or InvalidInputError naming each bad line. */
export async function readFleetTenants(root: string, source: string): Promise<string[]> {
  const { list, problems } = await readTenantFile(root, source);
  if (!list || problems.length > 0) throw new InvalidInputError(problems);
  return list.tenants;
}

/**
 * Every fleet.source of a valid environment file, read and judged; and every listed
 * canary that is not in its fleet (a canary that is not a tenant would never run first).
 */
export async function checkFleetSources(
  root: string,
  envFile: { file: string; value?: Environment; lineOf?: (path: KeyPath) => number | undefined },
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const databases = envFile.value?.databases ?? [];
  for (const [i, db] of databases.entries()) {
    const fleet = db.fleet;
    if (!fleet?.source) continue;
    const { list, problems: found } = await readTenantFile(root, fleet.source);
    problems.push(...found);
    if (!list || !Array.isArray(fleet.canary)) continue;
    fleet.canary.forEach((c, j) => {
      if (list.lines.has(c)) return;
      const line = envFile.lineOf?.(['databases', i, 'fleet', 'canary', j]);
      problems.push({
        severity: 'error',
        code: 'E_FLEET_CANARY',
        file: envFile.file,
        ...(line !== undefined ? { line } : {}),
        message: `canary ${c} is not a tenant of ${fleet.source}`,
        hint: `list tenants of the fleet as canaries (e.g. ${list.tenants.slice(0, 2).join(', ') || 'the first line of the file'}), or a percentage such as 2%`,
      });
    });
  }
  return problems;
}
