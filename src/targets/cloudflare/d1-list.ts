/**
 * The account's D1 databases, from GET /accounts/:a/d1/database: what a fleet's
 * `match` pattern selects from and what a tenant file's names resolve through.
 * Read in as few pages as the API allows (10,000 a page; an account holds at most
 * 50,000 databases), once per run, through the run's one client and budget.
 */
import { RunError } from '../../errors.js';
import type { CloudflareApi } from './cloudflare-api.js';

export interface D1DatabaseInfo {
  uuid: string;
  name: string;
}

/** Cloudflare documents per_page from 10 to 10,000 for this list. */
export const LIST_PER_PAGE = 10_000;
/** 50,000 databases per account at most: 5 pages; the cap only stops a server that never ends its list. */
const MAX_PAGES = 100;

interface ListPage {
  result: { uuid?: unknown; name?: unknown }[];
  info: { page?: number; per_page?: number; count?: number; total_count?: number } | undefined;
}

export async function listD1Databases(api: CloudflareApi, signal?: AbortSignal): Promise<D1DatabaseInfo[]> {
  const all: D1DatabaseInfo[] = [];
  const seen = new Set<string>();
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { result, info } = await api.callPaged<ListPage['result'][number]>('GET', `${api.accountPath}/d1/database`, {
      query: { page: String(page), per_page: String(LIST_PER_PAGE) },
      safe: true,
      ...(signal ? { signal } : {}),
    });
    for (const d of result ?? []) {
      if (typeof d.uuid !== 'string' || typeof d.name !== 'string' || seen.has(d.uuid)) continue;
      seen.add(d.uuid);
      all.push({ uuid: d.uuid, name: d.name });
    }
    // The page size the server used is its word (it may hold fewer than asked); total_count says when the list ends.
    const perPage = info?.per_page ?? LIST_PER_PAGE;
    const done = (result ?? []).length === 0 || (info?.total_count !== undefined ? all.length >= info.total_count : (result ?? []).length < perPage);
    if (done) return all;
  }
  throw new RunError(`the D1 database list of account ${api.credentials.accountId} did not end after ${MAX_PAGES} pages`, 'check CLOUDFLARE_API_BASE_URL: the API answered more pages than an account can hold');
}
