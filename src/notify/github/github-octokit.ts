/**
 * GitHubApi on octokit: `octokit.request('METHOD /route')` for the calls (typed by
 * @octokit/types from GitHub's OpenAPI description), `octokit.paginate` for the
 * comment pages (it follows GitHub's Link headers). No rest-endpoint-methods
 * plugin: it is only named wrappers around those routes, and its newest release
 * is on an older @octokit/types than core's, which installed a second copy of
 * the 5 MB OpenAPI types per disagreeing package. Octokit's errors become
 * GitHubApiError, so the send queue can decide what is worth another try; this
 * module never retries by itself. Requests use Node's fetch, cancelled by the
 * caller's signal (the send queue's time budget, or the plan comment's timeout).
 */
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { parseRetryAfter } from '../send-queue.js';
import { GitHubApiError, type CallOptions, type GitHubApi } from './github-api.js';

const PromoteOctokit = Octokit.plugin(paginateRest);

/** GITHUB_API_URL when unset: github.com (GHES sets https://HOST/api/v3). */
export const GITHUB_API_URL = 'https://api.github.com';

export interface GitHubOctokitOptions {
  token: string;
  /** GITHUB_API_URL. */
  baseUrl?: string;
  /** Octokit's own warnings (deprecations); default: dropped. */
  onWarning?: (message: string) => void;
}

export function createGitHubOctokit(options: GitHubOctokitOptions): GitHubApi {
  const baseUrl = (options.baseUrl?.trim() || GITHUB_API_URL).replace(/\/+$/, '');
  const noop = (): void => undefined;
  const warn = (message: string): void => options.onWarning?.(`GitHub: ${message}`);
  const octokit = new PromoteOctokit({
    auth: options.token,
    baseUrl,
    userAgent: 'promote',
    log: { debug: noop, info: noop, warn, error: warn },
  });
  // The media type and API version GitHub's REST docs ask for (octokit's default accept is the older v3 one).
  octokit.hook.before('request', (endpoint) => {
    endpoint.headers.accept = 'application/vnd.github+json';
    endpoint.headers['x-github-api-version'] = '2022-11-28';
  });

  const request = (callOptions: CallOptions | undefined) => (callOptions?.signal ? { request: { signal: callOptions.signal } } : {});

  /** Run one call, turning octokit's errors into GitHubApiError. */
  const call = async <T>(method: string, path: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toGitHubApiError(error, method, path);
    }
  };

  return {
    async createDeployment({ owner, repo, ...body }, callOptions) {
      const path = `/repos/${owner}/${repo}/deployments`;
      const res = await call('POST', path, () => octokit.request('POST /repos/{owner}/{repo}/deployments', { owner, repo, ...body, ...request(callOptions) }));
      // 202 "Auto-merged ... in ..." carries no deployment; auto_merge: false should prevent it.
      const data = res.data as { id?: unknown; message?: string };
      if (typeof data.id !== 'number' && typeof data.id !== 'bigint') throw new GitHubApiError(res.status, 'POST', path, data.message ?? 'no deployment created');
      return { id: githubId(data.id) };
    },
    async createDeploymentStatus({ owner, repo, deployment_id, ...body }, callOptions) {
      const path = `/repos/${owner}/${repo}/deployments/${deployment_id}/statuses`;
      const res = await call('POST', path, () =>
        octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { owner, repo, deployment_id, ...body, ...request(callOptions) }),
      );
      return { id: githubId(res.data.id) };
    },
    async *commentPages({ owner, repo, issue_number }, callOptions) {
      const path = `/repos/${owner}/${repo}/issues/${issue_number}/comments`;
      const pages = octokit.paginate.iterator('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number, per_page: 100, ...request(callOptions) });
      const iterator = pages[Symbol.asyncIterator]();
      for (;;) {
        const next = await call('GET', path, () => iterator.next());
        if (next.done) return;
        yield next.value.data.map((c) => ({ id: githubId(c.id), ...(c.body !== undefined ? { body: c.body } : {}), html_url: c.html_url }));
      }
    },
    async createComment({ owner, repo, issue_number, body }, callOptions) {
      const path = `/repos/${owner}/${repo}/issues/${issue_number}/comments`;
      const res = await call('POST', path, () => octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number, body, ...request(callOptions) }));
      return { id: githubId(res.data.id), ...(res.data.body !== undefined ? { body: res.data.body } : {}), html_url: res.data.html_url };
    },
    async updateComment({ owner, repo, comment_id, body }, callOptions) {
      const path = `/repos/${owner}/${repo}/issues/comments/${comment_id}`;
      const res = await call('PATCH', path, () => octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id, body, ...request(callOptions) }));
      return { id: githubId(res.data.id), ...(res.data.body !== undefined ? { body: res.data.body } : {}), html_url: res.data.html_url };
    },
  };
}

/**
 * octokit's JSON parser answers numbers past 2^53 as bigint, and its types say so.
 * GitHub's ids are far below that; a bigint one would not survive the run memory's
 * JSON, so it is refused here rather than rounded.
 */
function githubId(id: number | bigint): number {
  if (typeof id === 'number') return id;
  if (id <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(id);
  throw new Error(`GitHub answered an id too large for promote to keep: ${id}`);
}

interface OctokitRequestError {
  status?: number;
  name?: string;
  message?: string;
  response?: { status: number; headers: Record<string, string | undefined>; data?: unknown };
}

/**
 * An answer GitHub gave -> GitHubApiError (Retry-After, or the rate-limit reset of
 * a 403/429, becomes retryAfterMs). No answer at all (network error, abort) is
 * passed on as is: the send queue treats it as a failed attempt.
 */
export function toGitHubApiError(error: unknown, method: string, path: string): unknown {
  const e = error as OctokitRequestError | undefined;
  const response = e?.response;
  if (!response) return error;
  const data = response.data as { message?: unknown } | string | undefined;
  const message = typeof data === 'object' && data !== null && typeof data.message === 'string' ? data.message : typeof data === 'string' && data !== '' ? data.slice(0, 200) : (e?.message ?? '');
  return new GitHubApiError(response.status, method, path, message, retryAfter(response.headers));
}

function retryAfter(headers: Record<string, string | undefined>): number | undefined {
  const after = parseRetryAfter(headers['retry-after']);
  if (after !== undefined) return after;
  // Primary rate limit: no Retry-After, but the reset time of the window.
  if (headers['x-ratelimit-remaining'] === '0' && headers['x-ratelimit-reset']) {
    const reset = Number(headers['x-ratelimit-reset']) * 1000;
    if (Number.isFinite(reset)) return Math.max(0, reset - Date.now());
  }
  return undefined;
}
