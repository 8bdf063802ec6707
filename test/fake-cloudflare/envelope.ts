/**
 * The Cloudflare v4 envelope and the error a route handler throws to answer with one.
 */

export interface CfErrorItem {
  code: number;
  message: string;
}

export interface Envelope {
  success: boolean;
  errors: CfErrorItem[];
  messages: unknown[];
  result: unknown;
  result_info?: ResultInfo;
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages?: number;
}

/** Thrown by handlers; the server turns it into an error envelope with this status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function successEnvelope(result: unknown, resultInfo?: ResultInfo): Envelope {
  return { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
}

export function errorEnvelope(code: number, message: string): Envelope {
  return { success: false, errors: [{ code, message }], messages: [], result: null };
}

/** Page an array the way list endpoints do (?page=1&per_page=20). */
export function paginate<T>(items: readonly T[], query: URLSearchParams, defaultPerPage = 20): { items: T[]; info: ResultInfo } {
  const perPage = Math.max(1, Number(query.get('per_page') ?? defaultPerPage) || defaultPerPage);
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return {
    items: slice,
    info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  };
}

export const NOT_FOUND_ROUTE = (path: string): ApiError =>
  new ApiError(404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
