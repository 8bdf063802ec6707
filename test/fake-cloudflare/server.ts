/**
 * A fake of the Cloudflare v4 API on 127.0.0.1, faithful enough that both our client and the
 * real wrangler binary (CLOUDFLARE_API_BASE_URL=<url>) work against it: D1 (real D1 in Miniflare,
 * Time Travel, export) and Workers scripts/versions/deployments. Tests steer it with latency, a
 * fault schedule and the request log. See README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { splitStatements } from '../../src/migrations/split-statements.js';
import { D1Engine } from './d1-engine.js';
import { createImportState, handleImportUpload, type ImportSettings } from './d1-import-routes.js';
import { d1Routes, type D1RouteState } from './d1-routes.js';
import { ApiError, NOT_FOUND_ROUTE, errorEnvelope, paginate, successEnvelope, type Envelope } from './envelope.js';
import { FaultSchedule, type FaultKind } from './faults.js';
import { findRoute, route, type Route, type RouteAnswer } from './router.js';
import { activeVersionId, workersRoutes, type WorkerScript, type WorkersState } from './workers-routes.js';

export { FaultSchedule, type FaultKind, type FaultFilter } from './faults.js';
export type { WorkerScript, WorkerVersion, WorkerDeployment } from './workers-routes.js';

export const API_PREFIX = '/client/v4';

export interface FakeCloudflareOptions {
  token?: string;
  /** 32 hex characters by default, like a real account id. */
  accountId?: string;
  latencyMs?: number;
  /** Clock for created_on, bookmarks and the restore rate limit (epoch ms). */
  now?: () => number;
  /** How /query cuts SQL into statements (default 'sqlite'); 'line-semicolons' fails like the field. */
  querySplit?: 'sqlite' | 'line-semicolons';
  /** `active` answers an import gives before `complete` (default 1). */
  importActivePolls?: number;
  /**
   * Enforce an API rate limit like Cloudflare's (1,200 per 5 minutes): past `requests` API calls in
   * `windowMs`, answer 429 code 971 with Retry-After (each refused request counts, as on Cloudflare).
   */
  rateLimit?: { requests: number; windowMs: number };
  /**
   * Keep headers, bodies and answers in `requests` (default true). A bench of ten thousand requests
   * turns it off: entries keep method, path, query, status, time and fault; `counts` is kept either way.
   */
  logBodies?: boolean;
  /** Folder for the D1 files (default /dev/shm where it exists, else the temp dir). */
  d1Dir?: string;
  /**
   * Time Travel snapshots 'every-write' (default: any timestamp resolves) or 'on-demand' (when a
   * bookmark is asked for, before a restore, for an export; timestamp lookups refused): a fleet
   * bench's writes then cost the fake one D1 call instead of two.
   */
  timeTravel?: 'every-write' | 'on-demand';
  /** Copy `workers/message` onto the deployment a first script upload creates (default false: undocumented on Cloudflare). */
  firstUploadDeploymentMessage?: boolean;
}

export interface LoggedRequest {
  method: string;
  /** Below the API base (e.g. /accounts/x/d1/database); other paths as sent. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** 0 while unanswered, and for 'reset' and 'hang'. */
  status: number;
  /** Epoch ms (real clock) when the request arrived. */
  time: number;
  durationMs?: number;
  fault?: FaultKind;
  /** Refused by the `rateLimit` window (fault '429' too), not by a fault rule. */
  rateLimited?: true;
  /** The answer's body as sent (JSON text for API routes). */
  response?: string;
}

/** Every request the fake answered (or refused, or lost), counted as it arrives. */
export interface RequestCounts {
  total: number;
  /** By the status sent (0: a 'reset' or 'hang' fault, no answer). */
  byStatus: Map<number, number>;
  /** API requests per D1 database uuid (any route below /d1/database/:uuid, by name too). */
  byDatabase: Map<string, number>;
}

/** Cloudflare's own API rate limit: 1,200 requests per 5 minutes per token. */
export const CLOUDFLARE_RATE_LIMIT = { requests: 1200, windowMs: 5 * 60_000 } as const;

export interface FakeDatabaseHandle {
  uuid: string;
  name: string;
  /** Runs SQL (several statements allowed, one transaction) and returns the last statement's rows. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Time Travel bookmarks, oldest first. */
  bookmarks(): string[];
  /** The database as SQL text, as an export would give it. */
  dump(): Promise<string>;
}

export interface FakeCloudflare {
  /** API base, e.g. http://127.0.0.1:PORT/client/v4 */
  url: string;
  origin: string;
  accountId: string;
  token: string;
  /** CLOUDFLARE_API_BASE_URL, CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID for this fake. */
  env: Record<string, string>;
  addDatabase(name: string, opts?: { uuid?: string }): Promise<{ uuid: string; name: string }>;
  database(uuid: string): FakeDatabaseHandle;
  scripts: Map<string, WorkerScript>;
  /** The version a script serves at 100% now. */
  activeVersion(scriptName: string): string | undefined;
  requests: LoggedRequest[];
  counts: RequestCounts;
  /** Times the fake's Miniflare was given a new set of D1 bindings (lazy, in bulk: see d1-engine.ts). */
  readonly rebinds: number;
  setLatency(ms: number): void;
  /** Import flow knobs: `activePolls`, `failNext` (see d1-import-routes.ts). */
  imports: ImportSettings;
  /** Switch /query's statement split at run time. */
  setQuerySplit(mode: 'sqlite' | 'line-semicolons'): void;
  faults: FaultSchedule;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, envelope: Envelope, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(envelope);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cf-ray': randomBytes(8).toString('hex'), ...headers });
  res.end(body);
}

function faultAnswer(kind: '429' | '500', retryAfter: number): { status: number; envelope: Envelope; headers: Record<string, string> } {
  return kind === '429'
    ? { status: 429, envelope: errorEnvelope(971, 'Please wait and consider throttling your request speed'), headers: { 'retry-after': String(retryAfter) } }
    : { status: 500, envelope: errorEnvelope(10013, 'An unknown error has occurred'), headers: {} };
}

function accountRoutes(accountId: string): Route[] {
  const account = { id: accountId, name: 'Fake Account', type: 'standard', settings: { enforce_twofactor: false }, created_on: '2024-01-01T00:00:00Z' };
  return [
    route('GET', '/user/tokens/verify', () => ({ result: { id: 'fake-token-id', status: 'active' } })),
    route('GET', '/user', () => ({ result: { id: 'fake-user', email: 'fake-user@example.com' } })),
    route('GET', '/accounts', (ctx) => {
      const { items, info } = paginate([account], ctx.query);
      return { result: items, resultInfo: info };
    }),
    route('GET', '/accounts/:account', () => ({ result: account })),
    route('GET', '/memberships', (ctx) => {
      const { items, info } = paginate([{ id: 'fake-membership', status: 'accepted', account: { id: accountId, name: account.name }, roles: ['Administrator'] }], ctx.query);
      return { result: items, resultInfo: info };
    }),
  ];
}

export async function startFakeCloudflare(opts: FakeCloudflareOptions = {}): Promise<FakeCloudflare> {
  const token = opts.token ?? `fake-token-${randomBytes(12).toString('hex')}`;
  const accountId = opts.accountId ?? randomBytes(16).toString('hex');
  const now = opts.now ?? Date.now;
  let latencyMs = opts.latencyMs ?? 0;
  const faults = new FaultSchedule();
  const requests: LoggedRequest[] = [];
  const logBodies = opts.logBodies ?? true;
  const counts: RequestCounts = { total: 0, byStatus: new Map(), byDatabase: new Map() };
  const countStatus = (status: number) => counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
  /** Arrival times of API requests inside the rate-limit window. */
  const apiTimes: number[] = [];
  const engine = await D1Engine.start(now, ...(opts.d1Dir ? [opts.d1Dir] : []));
  engine.snapshots = opts.timeTravel ?? 'every-write';
  const d1State: D1RouteState = { engine, exports: new Map(), now, imports: createImportState(engine, opts.importActivePolls ?? 1), querySplit: opts.querySplit ?? 'sqlite' };
  const workersState: WorkersState = { scripts: new Map(), accountSubdomain: 'fake-account', databaseExists: (id) => engine.get(id) !== undefined, now, firstUploadDeploymentMessage: opts.firstUploadDeploymentMessage ?? false };
  const routes = [...accountRoutes(accountId), ...d1Routes(d1State), ...workersRoutes(workersState)];
  let origin = '';

  async function answer(method: string, path: string, body: Buffer, req: IncomingMessage, query: URLSearchParams): Promise<{ status: number; envelope: Envelope; headers: Record<string, string> }> {
    const auth = req.headers.authorization;
    if (!auth) return { status: 401, envelope: errorEnvelope(10000, 'Authentication error'), headers: {} };
    if (auth !== `Bearer ${token}`) return { status: 403, envelope: errorEnvelope(10000, 'Authentication error'), headers: {} };
    const found = findRoute(routes, method, path);
    if (!found) throw NOT_FOUND_ROUTE(path);
    if (found.params.account !== undefined && found.params.account !== accountId) throw new ApiError(403, 10000, 'Authentication error');
    const out: RouteAnswer = await found.route.handle({ method, path, params: found.params, query, headers: req.headers, body, origin });
    return { status: out.status ?? 200, envelope: successEnvelope(out.result, out.resultInfo), headers: out.headers ?? {} };
  }

  const server = createServer((req, res) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const full = new URL(req.url ?? '/', origin);
        const method = req.method ?? 'GET';
        const isApi = full.pathname === API_PREFIX || full.pathname.startsWith(`${API_PREFIX}/`);
        const path = isApi ? full.pathname.slice(API_PREFIX.length) || '/' : full.pathname;
        const entry: LoggedRequest = { method, path, query: Object.fromEntries(full.searchParams), headers: logBodies ? req.headers : {}, body: logBodies ? body.toString('utf8') : '', status: 0, time: started };
        requests.push(entry);
        counts.total += 1;
        const dbMatch = isApi ? /^\/accounts\/[^/]+\/d1\/database\/([^/]+)/.exec(path) : null;
        if (dbMatch) {
          const id = engine.byNameOrId(decodeURIComponent(dbMatch[1]!))?.uuid ?? decodeURIComponent(dbMatch[1]!);
          counts.byDatabase.set(id, (counts.byDatabase.get(id) ?? 0) + 1);
        }
        const finish = (status: number, envelope: Envelope, headers: Record<string, string> = {}) => {
          entry.status = status;
          entry.durationMs = Date.now() - started;
          if (logBodies) entry.response = JSON.stringify(envelope);
          countStatus(status);
          send(res, status, envelope, headers);
        };
        const exportMatch = /^\/__fake\/d1-exports\/([^/]+)\//.exec(full.pathname);
        if (!isApi) {
          const upload = handleImportUpload(d1State.imports, method, full.pathname, body);
          if (upload) {
            entry.status = upload.status;
            countStatus(upload.status);
            res.writeHead(upload.status, { 'content-type': 'text/plain', ...upload.headers });
            res.end(upload.text);
            return;
          }
          const file = exportMatch ? d1State.exports.get(exportMatch[1]!) : undefined;
          entry.status = file ? 200 : 404;
          countStatus(entry.status);
          res.writeHead(entry.status, { 'content-type': 'application/sql' });
          res.end(file?.sql ?? 'not found');
          return;
        }
        // Latency stands for the network and the edge: a refused request pays it too.
        if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
        if (opts.rateLimit) {
          // Counted on arrival (the request's time), as Cloudflare counts it.
          apiTimes.push(started);
          const t = Date.now();
          while (apiTimes.length > 0 && apiTimes[0]! <= t - opts.rateLimit.windowMs) apiTimes.shift();
          if (apiTimes.length > opts.rateLimit.requests) {
            entry.fault = '429';
            entry.rateLimited = true;
            finish(429, errorEnvelope(971, 'Please wait and consider throttling your request speed'), { 'retry-after': String(Math.ceil(opts.rateLimit.windowMs / 1000)) });
            return;
          }
        }
        const injected = (kind: FaultKind | undefined): boolean => {
          if (!kind) return false;
          entry.fault = kind;
          if (kind === 'reset') {
            countStatus(0);
            req.socket.destroy();
          } else if (kind === 'hang') {
            countStatus(0);
            entry.durationMs = undefined;
          }
          else {
            const f = faultAnswer(kind, faults.retryAfterSeconds);
            finish(f.status, f.envelope, f.headers);
          }
          return true;
        };
        if (injected(faults.take(method, path, 'before'))) return;
        let outcome: { status: number; envelope: Envelope; headers: Record<string, string> };
        try {
          outcome = await answer(method, path, body, req, full.searchParams);
        } catch (err) {
          outcome =
            err instanceof ApiError
              ? { status: err.status, envelope: errorEnvelope(err.code, err.message), headers: err.headers }
              : { status: 500, envelope: errorEnvelope(10013, `fake-cloudflare internal error: ${(err as Error)?.stack ?? String(err)}`), headers: {} };
        }
        if (injected(faults.take(method, path, 'after'))) return;
        finish(outcome.status, outcome.envelope, outcome.headers);
      })();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}${API_PREFIX}`;

  const database = (uuid: string): FakeDatabaseHandle => {
    const db = engine.get(uuid);
    if (!db) throw new Error(`fake-cloudflare: no database ${uuid}`);
    return {
      uuid: db.uuid,
      name: db.name,
      async query(sql, params = []) {
        const statements = splitStatements(sql);
        const queries = statements.map((s, i) => ({ sql: s.sql, params: i === statements.length - 1 ? params : [] }));
        const outcome = await engine.execute(db, queries);
        if (!outcome.ok) throw new Error(outcome.error);
        const last = outcome.results.at(-1);
        return last ? last.results.rows.map((row) => Object.fromEntries(last.results.columns.map((c, i) => [c, row[i]]))) : [];
      },
      bookmarks: () => db.snapshots.map((s) => s.bookmark),
      dump: async () => (await engine.dump(db)).join('\n') + '\n',
    };
  };

  return {
    url,
    origin,
    accountId,
    token,
    env: { CLOUDFLARE_API_BASE_URL: url, CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_ACCOUNT_ID: accountId },
    async addDatabase(name, dbOpts = {}) {
      const db = engine.addDatabase(name, dbOpts.uuid ?? randomUUID());
      return { uuid: db.uuid, name: db.name };
    },
    database,
    scripts: workersState.scripts,
    activeVersion: (name) => {
      const script = workersState.scripts.get(name);
      return script ? activeVersionId(script) : undefined;
    },
    requests,
    counts,
    get rebinds() {
      return engine.rebinds;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    imports: d1State.imports.settings,
    setQuerySplit: (mode) => {
      d1State.querySplit = mode;
    },
    faults,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.dispose();
    },
  };
}
