/** A bare client for the fake's own tests: one call, the status, headers and parsed envelope. */
import type { FakeCloudflare } from './server.js';

export interface ApiReply<T = unknown> {
  status: number;
  headers: Headers;
  body: { success: boolean; errors: { code: number; message: string }[]; messages: unknown[]; result: T; result_info?: unknown };
}

export async function callApi<T = unknown>(
  fake: FakeCloudflare,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; signal?: AbortSignal } = {},
): Promise<ApiReply<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = options.token === undefined ? fake.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as ApiReply<T>['body'] };
}

export const d1Path = (fake: FakeCloudflare, uuid: string, rest = ''): string => `/accounts/${fake.accountId}/d1/database/${uuid}${rest}`;
