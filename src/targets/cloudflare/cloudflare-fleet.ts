/**
 * A fleet binding on Cloudflare: many tenant D1 databases, each reached over
 * REST exactly as a single database is (D1RestConnection), all through the
 * run's one CloudflareApi: one HTTP agent and one request budget for every
 * tenant, so a thousand tenants at concurrency 16 wait for the rate limit's
 * window instead of collecting 429s, and a 429 that still comes is retried
 * after its Retry-After.
 *
 * Tenants are the lines of fleet.source (database uuids, or names resolved
 * through the account's database list) or the account's databases whose name
 * matches fleet.match (minimatch), by name. The list is read once per run, in
 * pages of 10,000. The token goes only to the configured API base: the list
 * answer's names and uuids are data, never URLs.
 */
import { Minimatch } from 'minimatch';
import { readTenantFile } from '../../config/fleet-source.js';
import type { EnvironmentFleet } from '../../config/environment-databases.js';
import type { ScratchDatabase } from '../../d1/connection.js';
import { InvalidInputError } from '../../errors.js';
import type { Problem } from '../../problems.js';
import type { HandleFleet, TenantDatabase, TimeTravel } from '../environment-handle.js';
import type { CloudflareApi } from './cloudflare-api.js';
import { listD1Databases, type D1DatabaseInfo } from './d1-list.js';
import { D1RestConnection } from './d1-rest.js';
import type { RestoreBudget } from './restore-budget.js';

/** A D1 database id as Cloudflare writes it. */
export const D1_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CloudflareFleetContext {
  api: CloudflareApi;
  root: string;
  /** The environment's name, for labels (production/DB[tenant-0007]). */
  environment: string;
  /** The environment file, named by the problems a bad fleet setting causes. */
  envFile: string;
  /** The binding's preflight scratch database (local engine), shared by the fleet's groups in turn. */
  scratch(): Promise<ScratchDatabase>;
  restores: RestoreBudget;
}

/** Which database each tenant id of the fleet is: the id as the fleet names it -> its uuid. */
export type TenantMap = ReadonlyMap<string, string>;

export function openCloudflareFleet(ctx: CloudflareFleetContext, f: EnvironmentFleet): HandleFleet {
  let resolved: Promise<TenantMap> | undefined;
  const tenantMap = (signal?: AbortSignal) => {
    resolved ??= resolveTenants(ctx, f, signal);
    // A failed resolution (network, a bad name) is not cached: the next call tries again.
    resolved.catch(() => (resolved = undefined));
    return resolved;
  };
  const label = (tenant: string) => `${ctx.environment}/${f.binding}[${tenant}]`;
  const conns = new Map<string, D1RestConnection>();
  const connOf = async (tenant: string, signal?: AbortSignal): Promise<D1RestConnection> => {
    const known = conns.get(tenant);
    if (known) return known;
    const uuid = (await tenantMap(signal)).get(tenant);
    if (!uuid) throw new Error(`${ctx.environment}/${f.binding}: ${tenant} is not a tenant of this fleet (${f.fleet.source ?? `match ${f.fleet.match}`})`);
    const conn = new D1RestConnection(ctx.api, uuid, label(tenant));
    conns.set(tenant, conn);
    return conn;
  };
  return {
    ...f,
    tenants: async (signal) => [...(await tenantMap(signal)).keys()],
    open: async (tenant, signal): Promise<TenantDatabase> => ({ tenant, conn: await connOf(tenant, signal), scratch: ctx.scratch }),
    timeTravel: (tenant): TimeTravel => ({
      bookmark: async (_runId, signal) => {
        const conn = await connOf(tenant, signal);
        const at = Date.now();
        const r = await ctx.api.call<{ bookmark: string }>('GET', `${conn.path}/time_travel/bookmark`, { safe: true, ...(signal ? { signal } : {}) });
        return { id: r.bookmark, at };
      },
      restore: async (id, signal) => {
        const conn = await connOf(tenant, signal);
        // D1 allows 10 restores per 10 minutes per database: say so before restoring, as for a single database.
        await ctx.restores.check([{ id: conn.databaseId, label: conn.label }]);
        // Restoring to the same bookmark twice ends in the same state: safe to repeat.
        await ctx.api.call('POST', `${conn.path}/time_travel/restore`, { query: { bookmark: id }, safe: true, ...(signal ? { signal } : {}) });
        await ctx.restores.record(conn.databaseId);
        return { restoredAt: Date.now() };
      },
    }),
  };
}

async function resolveTenants(ctx: CloudflareFleetContext, f: EnvironmentFleet, signal?: AbortSignal): Promise<TenantMap> {
  const { source, match } = f.fleet;
  if (match !== undefined) {
    const pattern = new Minimatch(match, { nocomment: true, nonegate: true });
    const matched = (await listD1Databases(ctx.api, signal)).filter((d) => pattern.match(d.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (matched.length === 0) {
      throw new InvalidInputError([
        {
          severity: 'error',
          code: 'E_FLEET_MATCH',
          file: ctx.envFile,
          message: `fleet.match "${match}" of binding ${f.binding} matches no D1 database of account ${ctx.api.credentials.accountId}`,
          hint: 'check the pattern against `wrangler d1 list` (* stands for any run of characters), or list the tenants in a file with fleet.source',
        },
      ]);
    }
    return new Map(matched.map((d) => [d.name, d.uuid]));
  }
  const { list, problems } = await readTenantFile(ctx.root, source!);
  if (!list || problems.length > 0) throw new InvalidInputError(problems);
  const names = list.tenants.filter((t) => !D1_UUID.test(t));
  // Only names need the account's list; a file of uuids costs no request.
  const byName = names.length > 0 ? indexByName(await listD1Databases(ctx.api, signal)) : new Map<string, D1DatabaseInfo[]>();
  const missing: Problem[] = [];
  const map = new Map<string, string>();
  const uuidOwner = new Map<string, string>();
  for (const t of list.tenants) {
    let uuid = t.toLowerCase();
    if (!D1_UUID.test(t)) {
      const found = byName.get(t) ?? [];
      if (found.length !== 1) {
        missing.push({
          severity: 'error',
          code: 'E_FLEET_TENANT',
          file: source!.replace(/\\/g, '/'),
          ...(list.lines.get(t) !== undefined ? { line: list.lines.get(t)! } : {}),
          message: found.length === 0 ? `no D1 database of account ${ctx.api.credentials.accountId} is named ${t}` : `${found.length} D1 databases are named ${t}`,
          hint: found.length === 0 ? 'fix the name (see `wrangler d1 list`), or write the database uuid instead' : 'write the uuid of the one you mean instead of the name',
        });
        continue;
      }
      uuid = found[0]!.uuid;
    }
    const other = uuidOwner.get(uuid);
    if (other !== undefined) {
      missing.push({
        severity: 'error',
        code: 'E_FLEET_TENANT',
        file: source!.replace(/\\/g, '/'),
        ...(list.lines.get(t) !== undefined ? { line: list.lines.get(t)! } : {}),
        message: `${t} is the same database as ${other} (line ${list.lines.get(other)})`,
        hint: 'remove one of the two lines: a tenant is migrated once per run',
      });
      continue;
    }
    uuidOwner.set(uuid, t);
    map.set(t, uuid);
  }
  if (missing.length > 0) throw new InvalidInputError(missing, `${missing.length} tenant(s) of ${source} are not D1 databases of the account; no tenant was changed`);
  return map;
}

function indexByName(databases: readonly D1DatabaseInfo[]): Map<string, D1DatabaseInfo[]> {
  const byName = new Map<string, D1DatabaseInfo[]>();
  for (const d of databases) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
  return byName;
}
