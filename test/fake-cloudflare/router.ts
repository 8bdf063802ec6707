/**
 * A tiny router: routes are `METHOD /accounts/:account/...` templates below the API base.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, type ResultInfo } from './envelope.js';

export interface RouteContext {
  method: string;
  /** Below the API base, e.g. /accounts/abc/d1/database */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** http://127.0.0.1:PORT, for URLs the fake hands out (export downloads). */
  origin: string;
}

export interface RouteAnswer {
  status?: number;
  result: unknown;
  resultInfo?: ResultInfo;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RouteContext) => Promise<RouteAnswer> | RouteAnswer;

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handle: Handler;
}

export function route(method: string, template: string, handle: Handler): Route {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { method, pattern: new RegExp(`^${source}/?$`), names, handle };
}

export function findRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(r.names.map((name, i) => [name, decodeURIComponent(m[i + 1]!)]));
    return { route: r, params };
  }
  return undefined;
}

/** Parses a JSON body or answers 400 like the API does for malformed input. */
export function jsonBody<T = Record<string, unknown>>(ctx: RouteContext, code = 7400): T {
  const text = ctx.body.toString('utf8');
  if (text.trim() === '') return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(400, code, 'Malformed JSON in request body');
  }
}
