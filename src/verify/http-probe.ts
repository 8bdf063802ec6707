/**
 * One health check attempt: one HTTP request through undici, judged against the
 * check's expectations. Never throws for what the endpoint does (that is evidence);
 * throws only the caller's abort reason when the caller cancels.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { HealthCheck } from '../config/schema.js';
import type { CheckEvidence } from '../events/run-events.js';
import { findJsonMismatch } from './json-subset.js';

/** Read at most this much of a body: enough for any health payload, bounded for a misbehaving one. */
export const BODY_LIMIT_BYTES = 64 * 1024;
export const EXCERPT_CHARS = 200;

export type ProbeOutcome = Omit<CheckEvidence, 'attempt'>;

export interface ProbeContext {
  dispatcher: Dispatcher;
  now: () => number;
  redact: (s: string) => string;
  /** The caller's cancellation; the per-attempt deadline is added here. */
  signal?: AbortSignal;
}

let sharedAgent: Agent | undefined;

/**
 * A dedicated keep-alive Agent, created on first use. Dedicated rather than the
 * global dispatcher so nothing else in the process (a proxy agent set globally,
 * a test's MockAgent) reroutes loopback traffic meant for Miniflare; and
 * autoSelectFamily so `localhost` reaches a server bound to 127.0.0.1 even when
 * the resolver answers ::1 first.
 */
export function defaultDispatcher(): Dispatcher {
  sharedAgent ??= new Agent({ keepAliveTimeout: 4_000, autoSelectFamily: true });
  return sharedAgent;
}

export async function probe(url: URL, check: HealthCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const deadline = AbortSignal.timeout(check.timeout);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadline]) : deadline;
  const started = ctx.now();
  const elapsed = (): number => Math.max(0, Math.round(ctx.now() - started));

  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: check.method,
      headers: check.headers,
      ...(check.body !== undefined ? { body: check.body } : {}),
      signal,
      dispatcher: ctx.dispatcher,
      headersTimeout: check.timeout,
      bodyTimeout: check.timeout,
    });
  } catch (error) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    const reason = deadline.aborted || isTimeout(error) ? `no answer within ${check.timeout} ms` : describeConnectionError(error, url);
    return { ok: false, latencyMs: elapsed(), reason: ctx.redact(reason), noAnswer: true };
  }

  const status = response.statusCode;
  let body: { text: string; truncated: boolean };
  try {
    body = await readLimited(response.body, BODY_LIMIT_BYTES);
  } catch (error) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    // The status line came, so the Worker did answer: this is a failure, not an undecided attempt.
    const why = deadline.aborted || isTimeout(error) ? `within ${check.timeout} ms` : `(${errorMessage(error)})`;
    return { ok: false, status, latencyMs: elapsed(), reason: ctx.redact(`status ${status} but body incomplete ${why}`) };
  }
  const latencyMs = elapsed();

  const failures: string[] = [];
  if (status !== check.expect.status) {
    failures.push(`status ${status}, expected ${check.expect.status}`);
  } else if (check.expect.json !== undefined) {
    const mismatch = matchJsonBody(check.expect.json, body);
    if (mismatch !== undefined) failures.push(mismatch);
  }
  const maxLatency = check.expect.maxLatency;
  if (maxLatency !== undefined && latencyMs > maxLatency) failures.push(`latency ${latencyMs} ms > max ${maxLatency} ms`);

  const outcome: ProbeOutcome = { ok: failures.length === 0, status, latencyMs };
  // Redact the whole text before cutting, so a secret straddling the cut cannot leak its first half.
  if (body.text.length > 0) outcome.bodyExcerpt = ctx.redact(body.text).slice(0, EXCERPT_CHARS);
  if (failures.length > 0) outcome.reason = ctx.redact(failures.join('; '));
  return outcome;
}

function matchJsonBody(expected: unknown, body: { text: string; truncated: boolean }): string | undefined {
  if (body.truncated) return `body is larger than ${BODY_LIMIT_BYTES / 1024} KB; not parsed as JSON`;
  if (body.text.trim() === '') return 'body is empty, expected JSON';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch {
    return 'body is not JSON';
  }
  return findJsonMismatch(expected, parsed);
}

/** Reads up to `limit` bytes; stopping early destroys the stream, which also frees the socket. */
async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      truncated = true;
      break;
    }
  }
  return { text: Buffer.concat(chunks).subarray(0, limit).toString('utf8'), truncated };
}

const CONNECTION_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed before the response',
  UND_ERR_CLOSED: 'connection closed before the response',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

function describeConnectionError(error: unknown, url: URL): string {
  const code = errorCode(error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${url.hostname})`;
  if (code !== undefined && code in CONNECTION_ERRORS) return CONNECTION_ERRORS[code]!;
  return `request failed: ${errorMessage(error)}`;
}

function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || (error as Error | undefined)?.name === 'TimeoutError';
}

/** The code of the error, its cause, or (happy eyeballs) the first of an AggregateError's errors. */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const nested = (e as { errors?: unknown[] }).errors;
    e = Array.isArray(nested) && nested.length > 0 ? nested[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
