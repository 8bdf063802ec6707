/**
 * The Slack adapter's transport: one JSON POST with undici, its answer classified
 * for the send queue. Webhooks answer 200 "ok" or a status with a short string;
 * the Web API answers 200 with `{ ok: false, error }` for its own errors.
 */
import { request, type Dispatcher } from 'undici';
import { DeliveryError, parseRetryAfter } from '../send-queue.js';

export interface PostOptions {
  signal: AbortSignal;
  token?: string;
  dispatcher?: Dispatcher;
}

interface Answer {
  status: number;
  text: string;
  retryAfterMs?: number;
}

async function postJson(url: string, body: unknown, options: PostOptions): Promise<Answer> {
  const res = await request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify(body),
    signal: options.signal,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const text = await res.body.text();
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  return { status: res.statusCode, text, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

function httpFailure(answer: Answer): DeliveryError {
  const said = answer.text.trim().slice(0, 200);
  const message = `HTTP ${answer.status}${said ? ` ${JSON.stringify(said)}` : ''}`;
  if (answer.status === 429) return new DeliveryError(`rate limited (${message})`, true, answer.retryAfterMs ?? 1000);
  return new DeliveryError(message, answer.status >= 500, answer.retryAfterMs);
}

/** Incoming webhook: resolves on 200, throws a DeliveryError otherwise. */
export async function postWebhook(url: string, body: unknown, options: PostOptions): Promise<void> {
  const answer = await postJson(url, body, options);
  if (answer.status !== 200) throw httpFailure(answer);
}

/** Slack's own errors that say "try again"; the rest (invalid_auth, channel_not_found, …) will not fix themselves. */
const RETRYABLE_API_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Web API method call, e.g. chat.postMessage; resolves with the `{ ok: true }` body. */
export async function callWebApi<T extends object>(baseUrl: string, method: string, body: unknown, options: PostOptions): Promise<T & { ok: true }> {
  const answer = await postJson(`${baseUrl.replace(/\/+$/, '')}/${method}`, body, options);
  if (answer.status !== 200) throw httpFailure(answer);
  let parsed: { ok?: unknown; error?: unknown };
  try {
    parsed = JSON.parse(answer.text) as { ok?: unknown; error?: unknown };
  } catch {
    throw new DeliveryError(`${method}: answer is not JSON (${JSON.stringify(answer.text.slice(0, 100))})`, false);
  }
  if (parsed.ok !== true) {
    const error = typeof parsed.error === 'string' ? parsed.error : 'unknown_error';
    throw new DeliveryError(`${method}: ${error}`, RETRYABLE_API_ERRORS.has(error), answer.retryAfterMs);
  }
  return parsed as T & { ok: true };
}
