import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubApiError } from '../../../src/notify/github/github-api.js';
import { createGitHubOctokit } from '../../../src/notify/github/github-octokit.js';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../../fakes/github-server.js';

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub();
});
afterEach(() => github.close());

const api = () => createGitHubOctokit({ token: FAKE_GITHUB_TOKEN, baseUrl: `${github.url}/` });
const deployment = { owner: 'acme', repo: 'shop', ref: 'main', environment: 'promote/dev', auto_merge: false as const, required_contexts: [] };

async function failure(promise: Promise<unknown>): Promise<GitHubApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitHubApiError);
  return error as GitHubApiError;
}

describe('GitHubApi on octokit', () => {
  it('sends the token, the REST media type and API version to GITHUB_API_URL', async () => {
    expect(await api().createDeployment(deployment)).toEqual({ id: expect.any(Number) });
    const [req] = github.requests;
    expect(`${req!.method} ${req!.path}`).toBe('POST /repos/acme/shop/deployments');
    expect(req!.headers).toMatchObject({
      authorization: `token ${FAKE_GITHUB_TOKEN}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': expect.stringMatching(/^promote /),
    });
    expect(req!.body).toEqual({ ref: 'main', environment: 'promote/dev', auto_merge: false, required_contexts: [] });
  });

  it('turns answers into GitHubApiError: status, message, and when to retry', async () => {
    github.script(
      { status: 422, body: { message: 'Validation Failed', documentation_url: 'https://docs.github.com' } },
      { status: 429, body: { message: 'slow down' }, headers: { 'retry-after': '3' } },
      { status: 403, body: { message: 'API rate limit exceeded' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) } },
      { status: 202, body: { message: 'Auto-merged main into topic' } },
    );
    const refused = await failure(api().createDeployment(deployment));
    expect(refused.message).toBe('GitHub POST /repos/acme/shop/deployments: 422 Validation Failed');
    expect(refused.retryable).toBe(false);
    const limited = await failure(api().createDeployment(deployment));
    expect([limited.status, limited.retryAfterMs, limited.retryable]).toEqual([429, 3000, true]);
    const primary = await failure(api().createDeployment(deployment));
    expect(primary.status).toBe(403);
    expect(primary.retryAfterMs).toBeGreaterThan(50_000);
    expect(primary.retryable).toBe(true);
    const merged = await failure(api().createDeployment(deployment));
    expect(merged.message).toBe('GitHub POST /repos/acme/shop/deployments: 202 Auto-merged main into topic');
  });

  it('reads comment pages by following Link headers, and stops when asked to', async () => {
    github.comments.set(3, Array.from({ length: 250 }, (_, i) => ({ id: i + 1, body: `c${i}` })));
    const pages: number[] = [];
    for await (const page of api().commentPages({ owner: 'acme', repo: 'shop', issue_number: 3 })) pages.push(page.length);
    expect(pages).toEqual([100, 100, 50]);
    const before = github.requests.length;
    for await (const page of api().commentPages({ owner: 'acme', repo: 'shop', issue_number: 3 })) {
      expect(page[0]).toEqual({ id: 1, body: 'c0' });
      break;
    }
    expect(github.requests.length - before).toBe(1);
  });

  it('gives up on a hung request when the caller aborts', async () => {
    github.script('hang');
    const started = performance.now();
    await expect(api().createDeploymentStatus({ owner: 'acme', repo: 'shop', deployment_id: 1, state: 'success' }, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
