/**
 * The embedded target: one Miniflare instance per environment, its D1 state
 * persisted in the environment's own folder. Miniflare is imported lazily so
 * commands that never touch a database (help, validate, new) start fast.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Miniflare, MiniflareOptions } from 'miniflare';
import type { LocalEnvironment, LocalDatabase } from '../../config/schema.js';
import { D1QueryError, ExitCode, LockedError, PromoteError } from '../../errors.js';
import { d1DatabasesOf, readWranglerConfig } from '../../wrangler/wrangler-config.js';
import type { D1Connection, ScratchDatabase, SqlStatement, StatementResult } from '../../d1/connection.js';
import { ADMIN_WORKER_SOURCE } from './admin-worker.js';
import { ROUTER_WORKER_SOURCE } from './router-worker.js';
import { lockEnvironment } from './environment-lock.js';
import { copyStateForReading } from './state-copy.js';
import { readFleetTenants } from '../../config/fleet-source.js';

const ADMIN_URL = 'http://promote.admin';
/** The admin worker needs nothing recent; pinned so workerd never warns about the date. */
export const ADMIN_COMPATIBILITY_DATE = '2026-04-01';

export type { LocalEnvironmentPaths } from './state-copy.js';
import type { LocalEnvironmentPaths } from './state-copy.js';

/** Commands that only read wait this long for a running promotion to let go of an environment. */
const DEFAULT_LOCK_WAIT_MS = 15_000;

export function localEnvironmentPaths(root: string, name: string, env: LocalEnvironment): LocalEnvironmentPaths {
  const state = resolve(root, env.state ?? join('.promote', 'envs', name));
  return { state, d1Persist: join(state, 'd1') };
}

/**
 * The id Miniflare persists a database under. Using the wrangler config's id
 * (preview id first, as `wrangler --local` does) is what lets an environment
 * whose state points at .wrangler/state/v3 share wrangler's own local database.
 */
export function localDatabaseId(root: string, db: LocalDatabase): string {
  if (db.database_id) return db.database_id;
  const wrangler = readWranglerConfig(root);
  const match = wrangler && d1DatabasesOf(wrangler).find((d) => d.binding === db.binding);
  return match?.preview_database_id ?? match?.database_id ?? db.binding;
}

/** True when the environment has never been created: nothing to read, nothing to start. */
export function localStateExists(paths: LocalEnvironmentPaths): boolean {
  return existsSync(paths.d1Persist);
}

/** The Worker code and config an environment's Miniflare serves. */
export interface ServedWorker {
  code: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
}

/**
 * Two versions serving side by side (a gradual rollout): an entry router Worker
 * splits the traffic between them (router-worker.ts). The new version comes first.
 */
export interface ServedSplit {
  /** The key the version override header names. */
  scriptName: string;
  /** `gone`: still loaded, but no longer in the deployment (the override header cannot reach it). */
  versions: { id: string; worker: ServedWorker; percentage: number; gone?: boolean }[];
}

export type Served = ServedWorker | ServedSplit;

function isSplit(served: Served): served is ServedSplit {
  return 'versions' in served;
}

/** Same Workers in the same router slots (ids may differ: a slot can be loaded before its version is recorded). */
function sameVersions(a: ServedSplit, b: ServedSplit): boolean {
  const same = (x: ServedWorker, y: ServedWorker) =>
    x.code === y.code && x.compatibilityDate === y.compatibilityDate && JSON.stringify(x.compatibilityFlags) === JSON.stringify(y.compatibilityFlags) && JSON.stringify(x.vars) === JSON.stringify(y.vars);
  return a.scriptName === b.scriptName && a.versions.length === b.versions.length && a.versions.every((v, i) => same(v.worker, b.versions[i]!.worker));
}

/** Served while an environment has no version yet, so health checks fail clearly instead of hanging. */
export const NOTHING_DEPLOYED: ServedWorker = {
  code: 'export default { fetch() { return new Response("promote: no Worker version deployed to this environment yet\\n", { status: 503 }); } };',
  compatibilityDate: ADMIN_COMPATIBILITY_DATE,
  compatibilityFlags: [],
  vars: {},
};

export interface Snapshot {
  objects: { type: string; name: string; tbl_name: string; sql: string }[];
  tables: { name: string; columns: string[]; rowid: boolean; rows: unknown[][] }[];
  sequence: { name: string; seq: number }[];
}

export class LocalEnvironmentRuntime {
  /** Set when another process held the environment and a copy of its files was opened instead: who holds it. */
  heldBy: string | undefined;

  private constructor(
    readonly name: string,
    private readonly mf: Miniflare,
    private readonly buildOptions: (worker: Served | undefined) => MiniflareOptions,
    private served: Served | undefined,
    private currentUrl: URL,
    private readonly scratchFiles: string[],
    private readonly unlock: () => void,
    /** Token the router Worker takes split changes with. */
    private readonly control: string,
    /** Each fleet binding's tenants, in the fleet's order (each a D1 database of this Miniflare). */
    readonly fleetTenants: ReadonlyMap<string, readonly string[]>,
  ) {}

  /**
   * Starts the environment. With `worker`, its Worker is served on a loopback
   * port (env.worker.port, else a free one) against the environment's D1.
   */
  static async start(
    root: string,
    name: string,
    env: LocalEnvironment,
    opts: { worker?: Served | 'nothing-deployed'; lockWaitMs?: number; runId?: string; owner?: string; readCopyWhenHeld?: boolean; onLockWait?: (message: string) => void } = {},
  ): Promise<LocalEnvironmentRuntime> {
    const paths = localEnvironmentPaths(root, name, env);
    let unlock: () => void;
    try {
      unlock = await lockEnvironment(join(paths.state, 'promote.lock'), {
        environment: name,
        // A reader does not queue behind the holder: it reads a copy at once.
        waitMs: opts.readCopyWhenHeld ? 0 : (opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS),
        acceptsWaitFlag: opts.lockWaitMs !== undefined,
        ...(opts.runId ? { runId: opts.runId } : {}),
        ...(opts.owner ? { owner: opts.owner } : {}),
        ...(opts.onLockWait ? { onWait: opts.onLockWait } : {}),
      });
    } catch (e) {
      if (!(e instanceof LockedError) || !opts.readCopyWhenHeld) throw e;
      const copy = await copyStateForReading(paths);
      try {
        const runtime = await LocalEnvironmentRuntime.launch(root, name, env, copy.paths, opts.worker, copy.remove);
        runtime.heldBy = e.message;
        return runtime;
      } catch (launchError) {
        copy.remove();
        throw launchError;
      }
    }
    try {
      return await LocalEnvironmentRuntime.launch(root, name, env, paths, opts.worker, unlock);
    } catch (e) {
      unlock();
      throw e;
    }
  }

  private static async launch(
    root: string,
    name: string,
    env: LocalEnvironment,
    paths: LocalEnvironmentPaths,
    worker: Served | 'nothing-deployed' | undefined,
    unlock: () => void,
  ): Promise<LocalEnvironmentRuntime> {
    const { Miniflare, Log, LogLevel } = await import('miniflare');
    const control = randomBytes(16).toString('hex');
    const admin: Record<string, string> = {};
    const app: Record<string, string> = {};
    const fleetTenants = new Map<string, string[]>();
    for (const db of env.databases) {
      if (db.fleet) {
        // A fleet is N databases of this one Miniflare (never N Miniflares): each tenant id is the id it persists under.
        const tenants = await readFleetTenants(root, db.fleet.source!);
        fleetTenants.set(db.binding, tenants);
        for (const t of tenants) admin[`D_${tenantKey(db.binding, t)}`] = t;
        admin[`S_${db.binding}`] = scratchDatabaseId(db.binding);
        // The Worker sees one tenant under the binding: the first canary, so the canaries' health checks exercise a migrated tenant.
        const first = Array.isArray(db.fleet.canary) && db.fleet.canary.length > 0 ? db.fleet.canary[0]! : tenants[0];
        if (first !== undefined) app[db.binding] = first;
        continue;
      }
      const id = localDatabaseId(root, db);
      admin[`D_${db.binding}`] = id;
      // One scratch database per process: concurrent runs never reset each other's preflight.
      admin[`S_${db.binding}`] = scratchDatabaseId(db.binding);
      app[db.binding] = id;
    }
    const appWorker = (name: string, worker: ServedWorker) => ({
      name,
      modules: true,
      script: worker.code,
      compatibilityDate: worker.compatibilityDate,
      compatibilityFlags: worker.compatibilityFlags,
      bindings: worker.vars,
      d1Databases: app,
    });
    // The first worker answers the loopback port: the user's Worker, or the router in front of two versions.
    const entryWorkers = (worker: Served | undefined) => {
      if (!worker) return [];
      if (!isSplit(worker)) return [appWorker('app', worker)];
      const versions = worker.versions.map((v, i) => ({ ...v, binding: `VERSION_${i}` }));
      return [
        {
          name: 'promote-router',
          modules: true,
          script: ROUTER_WORKER_SOURCE,
          compatibilityDate: ADMIN_COMPATIBILITY_DATE,
          bindings: { SCRIPT: worker.scriptName, CONTROL: control, VERSIONS: JSON.stringify(versions.map(({ id, binding, percentage }) => ({ id, binding, percentage }))) },
          serviceBindings: Object.fromEntries(versions.map((v) => [v.binding, `app-${v.binding.toLowerCase()}`])),
          // Reached by dispatchFetch with this host name and the control token only.
          routes: ['promote.router/*'],
        },
        ...versions.map((v) => appWorker(`app-${v.binding.toLowerCase()}`, v.worker)),
      ];
    };
    const buildOptions = (worker: Served | undefined): MiniflareOptions => ({
      log: new Log(LogLevel.WARN),
      host: '127.0.0.1',
      port: env.worker?.port ?? 0,
      d1Persist: paths.d1Persist,
      // Never reach out for the real Request.cf object: the local target works offline.
      cf: false,
      workers: [
        ...entryWorkers(worker),
        {
          name: 'promote-admin',
          modules: true,
          script: ADMIN_WORKER_SOURCE,
          compatibilityDate: ADMIN_COMPATIBILITY_DATE,
          d1Databases: admin,
          // Reached only by dispatchFetch with this host name, never by the user's traffic.
          routes: ['promote.admin/*'],
        },
      ],
    });
    const served = worker === 'nothing-deployed' ? NOTHING_DEPLOYED : worker;
    const mf = new Miniflare(buildOptions(served));
    yieldSignalsToPromote();
    let url: URL;
    try {
      url = await mf.ready;
    } catch (e) {
      // A Miniflare that failed to start still holds its workerd and loopback server: the process would never exit.
      await mf.dispose().catch(() => undefined);
      if ((e as { code?: string }).code === 'ERR_ADDRESS_IN_USE') {
        throw new PromoteError(
          `${name}: port ${env.worker?.port} on 127.0.0.1 is in use`,
          ExitCode.failed,
          `stop what listens there, or pick another port (promote serve --port <n>, or worker.port in environments/${name}.yaml)`,
        );
      }
      throw e;
    }
    const scratchFiles = env.databases.map((db) => d1SqlitePath(paths.d1Persist, scratchDatabaseId(db.binding)));
    return new LocalEnvironmentRuntime(name, mf, buildOptions, served, url, scratchFiles, unlock, control, fleetTenants);
  }

  /** Where the served Worker answers, e.g. http://127.0.0.1:41234/ */
  get url(): URL {
    return this.currentUrl;
  }

  /** Serves another Worker version, or two side by side, in place (same port, same databases). */
  async serve(worker: Served): Promise<void> {
    const now = this.served;
    // Same two versions, other percentages: the router takes the new split without a restart.
    if (now && isSplit(now) && isSplit(worker) && sameVersions(now, worker)) {
      const versions = worker.versions.map((v, i) => ({ id: v.id, binding: `VERSION_${i}`, percentage: v.percentage, ...(v.gone ? { gone: true } : {}) }));
      const res = await this.mf.dispatchFetch('http://promote.router/split', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-promote-control': this.control },
        body: JSON.stringify({ versions }),
      });
      if (!res.ok) throw new Error(`the local router did not take the new split (HTTP ${res.status})`);
      await res.arrayBuffer();
      this.served = worker;
      return;
    }
    await this.mf.setOptions(this.buildOptions(worker));
    this.served = worker;
    this.currentUrl = await this.mf.ready;
  }

  get serving(): Served | undefined {
    return this.served;
  }

  database(binding: string): D1Connection {
    return new LocalD1Connection(this.mf, `${this.name}/${binding}`, binding, false);
  }

  /** One tenant of a fleet binding. */
  tenant(binding: string, tenant: string): D1Connection {
    return new LocalD1Connection(this.mf, `${this.name}/${binding}[${tenant}]`, tenantKey(binding, tenant), false);
  }

  scratch(binding: string): ScratchDatabase {
    return new LocalD1Connection(this.mf, `${this.name}/${binding} (preflight scratch)`, binding, true);
  }

  /** A consistent copy of one database (the local Time Travel bookmark). */
  async snapshot(binding: string): Promise<Snapshot> {
    return (await adminPost(this.mf, '/snapshot', binding, {})) as unknown as Snapshot;
  }

  /** Replaces one database's content with a snapshot, in one transaction. */
  async restore(binding: string, snapshot: Snapshot): Promise<void> {
    await adminPost(this.mf, '/restore', binding, { snapshot });
  }

  async dispose(): Promise<void> {
    try {
      await this.mf.dispose();
    } finally {
      this.unlock();
    }
    // Preflight scratch databases are throwaway: leave only the environment's own files behind.
    for (const file of this.scratchFiles) {
      for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true }).catch(() => undefined);
    }
  }
}

/**
 * Miniflare exits the process on SIGINT/SIGTERM (its exitHook). A promotion
 * must instead stop at a safe point and release its locks, so its signal
 * listeners are removed; its 'exit' hook, which stops workerd, stays. Without
 * other listeners Node's default (exit) applies again, as for `promote migrate`.
 */
function yieldSignalsToPromote(): void {
  for (const [signal, name] of [['SIGINT', 'onSignalInt'], ['SIGTERM', 'onSignalTerm']] as const) {
    for (const l of process.listeners(signal)) if (l.name === name) process.removeListener(signal, l);
  }
}

/** How the admin Worker names a fleet tenant's database (snapshot and restore take it like a binding). */
export function tenantKey(binding: string, tenant: string): string {
  return `${binding}__${tenant}`;
}

function scratchDatabaseId(binding: string): string {
  return `promote-preflight-${binding}-${process.pid}`;
}

/**
 * Where Miniflare keeps a D1 database on disk: it names Durable Object files
 * by an HMAC of the database id (miniflare's durableObjectNamespaceIdFromName).
 */
export function d1SqlitePath(d1Persist: string, databaseId: string): string {
  const uniqueKey = 'miniflare-D1DatabaseObject';
  const key = createHash('sha256').update(uniqueKey).digest();
  const nameHmac = createHmac('sha256', key).update(databaseId).digest().subarray(0, 16);
  const hmac = createHmac('sha256', key).update(nameHmac).digest().subarray(0, 16);
  return join(d1Persist, uniqueKey, `${Buffer.concat([nameHmac, hmac]).toString('hex')}.sqlite`);
}

interface AdminResponse {
  success: boolean;
  result?: unknown;
  errors?: { code: number; message: string; index?: number }[];
}

/** One database of a Miniflare running the admin worker: the environment's own (D_) or its scratch twin (S_). */
export class LocalD1Connection implements ScratchDatabase {
  constructor(
    private readonly mf: Miniflare,
    readonly label: string,
    private readonly binding: string,
    private readonly isScratch: boolean,
  ) {}

  async batch(statements: readonly SqlStatement[], options?: { signal?: AbortSignal }): Promise<StatementResult[]> {
    if (statements.length === 0) return [];
    // A local batch is one quick transaction inside workerd: an abort is honoured before it is sent, never halfway.
    options?.signal?.throwIfAborted();
    return (await this.post('/batch', { statements, scratch: this.isScratch })) ?? [];
  }

  async reset(schema: readonly string[]): Promise<void> {
    if (!this.isScratch) throw new Error('reset() is only for scratch databases');
    await this.post('/reset', { schema });
  }

  private async post(path: string, body: unknown): Promise<StatementResult[] | undefined> {
    return (await adminPost(this.mf, path, this.binding, body)) as StatementResult[] | undefined;
  }
}

/**
 * Two processes on one environment (two CLI runs, or promote beside `wrangler
 * --local`) share one SQLite file, and workerd does not wait for a busy
 * database: it fails at once. A busy batch was rolled back whole, so it is
 * safe to send again; this is SQLite's busy_timeout, done from outside.
 */
// workerd reports a busy database to JavaScript only as an opaque internal error.
const BUSY = /SQLITE_BUSY|database is locked|internal error; reference = /;
const BUSY_TIMEOUT_MS = 15_000;

async function adminPost(mf: Miniflare, path: string, binding: string, body: unknown): Promise<unknown> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const res = await mf.dispatchFetch(`${ADMIN_URL}${path}?db=${encodeURIComponent(binding)}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const json = (await res.json()) as AdminResponse;
    if (json.success) return json.result;
    const err = json.errors?.[0];
    const message = err?.message ?? `HTTP ${res.status}`;
    if (BUSY.test(message) && Date.now() < deadline) {
      await delay(Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random()));
      continue;
    }
    throw new D1QueryError(message, err?.index, err?.code);
  }
}
