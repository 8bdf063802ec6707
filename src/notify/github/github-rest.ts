/**
 * GitHubApi on undici's request(): the five calls promote makes, without octokit.
 * Throws GitHubApiError on any non-2xx; never retries (the send queue decides).
 */
import { request, type Dispatcher } from 'undici';
import { parseRetryAfter } from '../slack/send-queue.js';
import { GitHubApiError, type CallOptions, type GitHubApi, type IssueComment } from './github-api.js';

export interface GitHubRestOptions {
  token: string;
  /** GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 on GHES. */
  baseUrl?: string;
  /** Per request, headers and body. Default 10 s. */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  userAgent?: string;
}

export const GITHUB_API_URL = 'https://api.github.com';

export function createGitHubRest(options: GitHubRestOptions): GitHubApi {
  const baseUrl = (options.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;

  const call = async <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body: unknown, callOptions: CallOptions = {}): Promise<T> => {
    const signals = [AbortSignal.timeout(timeoutMs), ...(callOptions.signal ? [callOptions.signal] : [])];
    const res = await request(`${baseUrl}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${options.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': options.userAgent ?? 'promote',
        ...(body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.any(signals),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      throw new GitHubApiError(res.statusCode, method, path, githubMessage(text), retryAfterMs);
    }
    try {
      return (text === '' ? {} : JSON.parse(text)) as T;
    } catch {
      throw new GitHubApiError(res.statusCode, method, path, 'answer is not JSON');
    }
  };

  const repoPath = (p: { owner: string; repo: string }): string => `/repos/${encodeURIComponent(p.owner)}/${encodeURIComponent(p.repo)}`;

  return {
    async createDeployment({ owner, repo, ...body }, callOptions) {
      const path = `${repoPath({ owner, repo })}/deployments`;
      const created = await call<{ id?: number; message?: string }>('POST', path, body, callOptions);
      // 202 "Auto-merged ... in ..." carries no deployment; auto_merge: false should prevent it.
      if (typeof created.id !== 'number') throw new GitHubApiError(202, 'POST', path, created.message ?? 'no deployment created');
      return { id: created.id };
    },
    async createDeploymentStatus({ owner, repo, deployment_id, ...body }, callOptions) {
      const created = await call<{ id: number }>('POST', `${repoPath({ owner, repo })}/deployments/${deployment_id}/statuses`, body, callOptions);
      return { id: created.id };
    },
    listComments({ owner, repo, issue_number, per_page = 100, page = 1 }, callOptions) {
      return call<IssueComment[]>('GET', `${repoPath({ owner, repo })}/issues/${issue_number}/comments?per_page=${per_page}&page=${page}`, undefined, callOptions);
    },
    createComment({ owner, repo, issue_number, body }, callOptions) {
      return call<IssueComment>('POST', `${repoPath({ owner, repo })}/issues/${issue_number}/comments`, { body }, callOptions);
    },
    updateComment({ owner, repo, comment_id, body }, callOptions) {
      return call<IssueComment>('PATCH', `${repoPath({ owner, repo })}/issues/comments/${comment_id}`, { body }, callOptions);
    },
  };
}

function githubMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: a proxy's HTML page, say.
  }
  return text.slice(0, 200);
}
