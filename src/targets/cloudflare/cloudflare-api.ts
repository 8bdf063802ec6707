/**
 * The one adapter to the Cloudflare REST API (undici). Every call goes
 * through `call()`: the envelope is unwrapped, errors carry Cloudflare's code
 * and message plus what to do, and retries follow one rule: a 429 is always
 * retried (the request was refused, honouring Retry-After); 5xx, resets and
 * timeouts only for calls that are safe to repeat. A call that is not safe
 * and whose outcome is unknown surfaces as UnknownOutcomeError so the caller
 * can look before it leaps (read the ledger, then decide).
 */
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { InvalidInputError, OutcomeUnknownError, RunError } from '../../errors.js';
import { RequestBudget, parseRateLimit, type RateLimit } from './request-budget.js';

export const DEFAULT_API_BASE = 'https://api.cloudflare.com/client/v4';

export interface CloudflareCredentials {
  token: string;
  accountId: string;
  baseUrl: string;
}

/**
 * What the cloudflare target reads from the process environment, read once by
 * the CLI (src/cli/settings.ts) and passed down typed: wrangler's own variable
 * names, so one environment serves both tools.
 */
export interface CloudflareSettings {
  token?: string;
  accountId?: string;
  baseUrl: string;
  /** PROMOTE_API_TIMEOUT as written (parsed when a cloudflare environment is opened). */
  timeout?: string;
  /** PROMOTE_API_RATE_LIMIT as written, e.g. 1200/5m. */
  rateLimit?: string;
  /** The variables a wrangler child process inherits (PATH, HOME, proxies...). */
  childEnv: Readonly<Record<string, string | undefined>>;
}

export function cloudflareSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): CloudflareSettings {
  const token = env.CLOUDFLARE_API_TOKEN ?? env.CF_API_TOKEN;
  const accountId = env.CLOUDFLARE_ACCOUNT_ID ?? env.CF_ACCOUNT_ID;
  const timeout = env.PROMOTE_API_TIMEOUT;
  const rateLimit = env.PROMOTE_API_RATE_LIMIT;
  return {
    ...(rateLimit ? { rateLimit } : {}),
    ...(token ? { token } : {}),
    ...(accountId ? { accountId } : {}),
    baseUrl: (env.CLOUDFLARE_API_BASE_URL ?? env.CF_API_BASE_URL ?? DEFAULT_API_BASE).replace(/\/+$/, ''),
    ...(timeout ? { timeout } : {}),
    childEnv: env,
  };
}

/** Missing credentials are invalid input of the environment file that asked for cloudflare. */
export function requireCredentials(settings: CloudflareSettings, file: string): CloudflareCredentials {
  const { token, accountId } = settings;
  const missing = [!token && 'CLOUDFLARE_API_TOKEN', !accountId && 'CLOUDFLARE_ACCOUNT_ID'].filter(Boolean) as string[];
  if (missing.length > 0) {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_CLOUDFLARE_CREDENTIALS',
        file,
        message: `target cloudflare needs ${missing.join(' and ')} in the environment`,
        hint: `set ${missing.join(' and ')} (in GitHub Actions: from repository secrets, e.g. env: CLOUDFLARE_API_TOKEN: \${{ secrets.CLOUDFLARE_API_TOKEN }})`,
      },
    ]);
  }
  return { token: token!, accountId: accountId!, baseUrl: settings.baseUrl };
}

/**
 * PROMOTE_API_TIMEOUT (a duration: "10s") bounds each request; Cloudflare's own
 * limit is 30 s per D1 request, so the default leaves a margin above it.
 */
export function apiOptionsOf(settings: CloudflareSettings): ApiOptions {
  const options: ApiOptions = {};
  // PROMOTE_API_RATE_LIMIT ("1200/5m"): the account's API rate limit, if not Cloudflare's default.
  if (settings.rateLimit) options.rateLimit = parseRateLimit(settings.rateLimit, 'PROMOTE_API_RATE_LIMIT');
  const text = settings.timeout;
  if (!text) return options;
  const m = /^(\d+)(ms|s)?$/.exec(text.trim());
  if (!m) throw new InvalidInputError([], `PROMOTE_API_TIMEOUT=${text}: expected a duration like 10s or 500ms`);
  return { ...options, timeoutMs: Number(m[1]) * (m[2] === 'ms' ? 1 : 1000) };
}

/** Cloudflare's paging block of a list answer. */
export interface ResultInfo {
  page?: number;
  per_page?: number;
  count?: number;
  total_count?: number;
}

export interface CloudflareErrorItem {
  code: number;
  message: string;
}

export class CloudflareApiError extends RunError {
  constructor(
    readonly status: number,
    readonly errors: CloudflareErrorItem[],
    readonly method: string,
    readonly path: string,
  ) {
    const first = errors[0];
    super(
      `Cloudflare API ${method} ${path} failed: HTTP ${status}${first ? `, code ${first.code}: ${first.message}` : ''}`,
      hintFor(status, first?.code),
    );
  }

  get code(): number | undefined {
    return this.errors[0]?.code;
  }
}

/** A request that is not safe to repeat and whose outcome we could not see. */
export class UnknownOutcomeError extends OutcomeUnknownError {
  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`Cloudflare API ${method} ${path}: no answer (${(cause as Error)?.message ?? String(cause)}); it may or may not have been applied`, { cause });
  }
}

function hintFor(status: number, code: number | undefined): string {
  if (status === 401 || status === 403 || code === 10000 || code === 9109) {
    return 'check CLOUDFLARE_API_TOKEN: it must be valid and allow D1 Edit and Workers Scripts Edit on CLOUDFLARE_ACCOUNT_ID';
  }
  if (code === 7500) return 'fix the SQL; nothing of this request was committed';
  if (status === 404 || code === 7404) return 'check the database_id / account id in your wrangler config and CLOUDFLARE_ACCOUNT_ID';
  if (status === 429 || code === 971) return 'the API rate limit was hit; wait a few minutes or run fewer jobs at once';
  if (status >= 500) return 'Cloudflare had a problem; run again later (promote resumes where it stopped)';
  return 'see the Cloudflare code and message above';
}

export interface CallOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Repeating this call cannot change anything (reads, idempotent writes). */
  safe: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ApiOptions {
  /** Per-request deadline (D1 requests are limited to 30 s by Cloudflare). */
  timeoutMs?: number;
  maxRetries?: number;
  /** Backoff base for 5xx and resets; jittered. */
  minRetryMs?: number;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs?: number;
  dispatcher?: Dispatcher;
  /** Requests per window this run may send (default Cloudflare's 1,200 per 5 minutes). */
  rateLimit?: RateLimit;
  /** Longest wait for a free slot in the rate limit before a request fails unsent (default: as long as it takes). */
  maxRateWaitMs?: number;
  /** Sockets to the API at most (default 64). */
  connections?: number;
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

type RetryFn = (err: Error & { statusCode?: number; code?: string; headers?: Record<string, string | string[] | undefined> }, ctx: { state: { counter: number } }, cb: (err?: Error | null) => void) => void;

function retryDecision(safe: boolean, o: Required<Pick<ApiOptions, 'maxRetries' | 'minRetryMs' | 'maxRetryAfterMs'>>, budget: RequestBudget): RetryFn {
  return (err, { state }, cb) => {
    const status = err.statusCode;
    const rateLimited = status === 429;
    const transient = (status !== undefined && TRANSIENT_STATUS.has(status)) || (err.code !== undefined && TRANSIENT_CODES.has(err.code));
    if (state.counter > o.maxRetries || !(rateLimited || (safe && transient))) return cb(err);
    const header = err.headers?.['retry-after'];
    const seconds = Number(Array.isArray(header) ? header[0] : header);
    const backoff = o.minRetryMs * 2 ** (state.counter - 1);
    // Full jitter on our own backoff; Retry-After is the server's word and is honoured as given.
    const delay = rateLimited && Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, o.maxRetryAfterMs) : backoff * (0.5 + Math.random() / 2);
    // A retry is a request like any other: it waits for its slot in the rate limit.
    setTimeout(() => budget.take().then(() => cb(null), (e: Error) => cb(e)), delay);
  };
}

export class CloudflareApi {
  private readonly dispatcher: Dispatcher;
  private readonly o: Required<Omit<ApiOptions, 'dispatcher' | 'rateLimit' | 'maxRateWaitMs' | 'connections'>>;
  /** Number of HTTP requests sent, retries included (benchmarks print it). */
  requests = 0;
  /** The run's one rate-limit budget: every request here takes from it, and wrangler runs reserve theirs. */
  readonly budget: RequestBudget;

  constructor(
    readonly credentials: CloudflareCredentials,
    options: ApiOptions = {},
  ) {
    this.o = {
      timeoutMs: options.timeoutMs ?? 35_000,
      maxRetries: options.maxRetries ?? 4,
      minRetryMs: options.minRetryMs ?? 250,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    };
    this.budget = new RequestBudget(options.rateLimit, options.maxRateWaitMs ?? Number.POSITIVE_INFINITY);
    const counting = (dispatch: Dispatcher['dispatch']) => (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => {
      this.requests += 1;
      return dispatch(opts, handler);
    };
    // One agent for the run: a fleet migrates up to `concurrency` tenants at once, each with a request
    // in flight, so the pool must not be what queues them (64 sockets: above any sane fleet concurrency).
    const base = options.dispatcher ?? new Agent({ headersTimeout: this.o.timeoutMs, bodyTimeout: this.o.timeoutMs, connections: options.connections ?? 64 });
    this.dispatcher = base.compose(interceptors.retry({ throwOnError: false, maxRetries: this.o.maxRetries }), counting);
  }

  get accountPath(): string {
    return `/accounts/${encodeURIComponent(this.credentials.accountId)}`;
  }

  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: CallOptions): Promise<T> {
    return (await this.send<T>(method, path, opts)).result as T;
  }

  /** A list endpoint's page: the result and its `result_info` (page, per_page, count, total_count). */
  async callPaged<T>(method: 'GET', path: string, opts: CallOptions): Promise<{ result: T[]; info: ResultInfo | undefined }> {
    const json = await this.send<T[]>(method, path, opts);
    return { result: Array.isArray(json.result) ? json.result : [], info: json.result_info };
  }

  private async send<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: CallOptions): Promise<{ result?: T; result_info?: ResultInfo }> {
    const url = new URL(`${this.credentials.baseUrl}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.o.timeoutMs * (this.o.maxRetries + 1));
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    await this.budget.take(1, opts.signal);
    let res: Dispatcher.ResponseData<unknown>;
    try {
      res = await request(url, {
        method,
        dispatcher: this.dispatcher,
        signal,
        headers: {
          authorization: `Bearer ${this.credentials.token}`,
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        retryOptions: { retry: retryDecision(opts.safe, this.o, this.budget) },
      } as Parameters<typeof request>[1]);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (!opts.safe) throw new UnknownOutcomeError(method, path, e);
      throw new RunError(`Cloudflare API ${method} ${path}: ${(e as Error).message}`, 'check the network and CLOUDFLARE_API_BASE_URL, then run again', { cause: e });
    }
    const text = await res.body.text();
    let json: { success?: boolean; errors?: CloudflareErrorItem[]; result?: T; result_info?: ResultInfo } | undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.statusCode >= 500 && !opts.safe) {
      // A 5xx on a write may have happened after the write: the outcome is unknown.
      throw new UnknownOutcomeError(method, path, new CloudflareApiError(res.statusCode, json?.errors ?? [], method, path));
    }
    if (res.statusCode >= 400 || !json || json.success === false) {
      throw new CloudflareApiError(res.statusCode, json?.errors?.length ? json.errors : [{ code: 0, message: text.slice(0, 200) || `HTTP ${res.statusCode}` }], method, path);
    }
    return json;
  }

  /**
   * PUT of a file to a signed upload URL (D1 import): no bearer token goes
   * there. Safe to repeat (same bytes, same object). Returns the ETag header.
   */
  async upload(url: string, body: string, signal?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs * (this.o.maxRetries + 1));
    await this.budget.take(1, signal);
    let res: Dispatcher.ResponseData<unknown>;
    try {
      res = await request(url, {
        method: 'PUT',
        dispatcher: this.dispatcher,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headers: { 'content-length': String(Buffer.byteLength(body, 'utf8')) },
        body,
        retryOptions: { retry: retryDecision(true, this.o, this.budget) },
      } as Parameters<typeof request>[1]);
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new RunError(`D1 import upload: ${(e as Error).message}`, 'check the network, then run again (nothing was applied)', { cause: e });
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new RunError(`D1 import upload answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`, 'run again (nothing was applied)');
    const etag = res.headers.etag;
    return (Array.isArray(etag) ? etag[0] : etag) ?? '';
  }

  /** Before anything runs: are the credentials good? Exit 2 with what to set when not. */
  async verifyToken(file: string): Promise<void> {
    try {
      const result = await this.call<{ status?: string }>('GET', '/user/tokens/verify', { safe: true });
      if (result?.status && result.status !== 'active') throw new CloudflareApiError(403, [{ code: 1000, message: `token status ${result.status}` }], 'GET', '/user/tokens/verify');
    } catch (e) {
      if (e instanceof CloudflareApiError && (e.status === 401 || e.status === 403 || e.status === 400)) {
        throw new InvalidInputError([
          {
            severity: 'error',
            code: 'E_CLOUDFLARE_TOKEN',
            file,
            message: `CLOUDFLARE_API_TOKEN was refused by ${this.credentials.baseUrl} (${e.message.replace(/^.*failed: /, '')})`,
            hint: 'create an API token with D1 Edit and Workers Scripts Edit permissions and set CLOUDFLARE_API_TOKEN to it',
          },
        ]);
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
  }
}
