/**
 * The slice of GitHub's REST API promote uses, shaped like the parameters of
 * GitHub's REST routes as octokit types them (snake_case).
 * github-octokit.ts implements it; a test can stand a fake behind it.
 */

export interface RepoRef {
  owner: string;
  repo: string;
}

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface CreateDeploymentParams extends RepoRef {
  ref: string;
  environment: string;
  description?: string;
  /** Always false: true can merge the default branch into ref and answer 202 with no deployment. */
  auto_merge: false;
  /** Always []: otherwise every status check on ref must pass first. */
  required_contexts: string[];
  transient_environment?: boolean;
  production_environment?: boolean;
  payload?: Record<string, unknown>;
}

export interface CreateDeploymentStatusParams extends RepoRef {
  deployment_id: number;
  state: DeploymentState;
  /** At most 140 characters. */
  description?: string;
  log_url?: string;
  environment_url?: string;
  auto_inactive?: boolean;
}

export interface IssueComment {
  id: number;
  body?: string;
  html_url?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface GitHubApi {
  createDeployment(params: CreateDeploymentParams, options?: CallOptions): Promise<{ id: number }>;
  createDeploymentStatus(params: CreateDeploymentStatusParams, options?: CallOptions): Promise<{ id: number }>;
  /** An issue's or pull request's comments, oldest first, a page at a time: stop iterating to stop fetching. */
  commentPages(params: RepoRef & { issue_number: number }, options?: CallOptions): AsyncIterable<IssueComment[]>;
  createComment(params: RepoRef & { issue_number: number; body: string }, options?: CallOptions): Promise<IssueComment>;
  updateComment(params: RepoRef & { comment_id: number; body: string }, options?: CallOptions): Promise<IssueComment>;
}

/** A non-2xx answer (or a 2xx without what we asked for). */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(`GitHub ${method} ${path}: ${status} ${message}`);
    this.name = 'GitHubApiError';
  }

  /** Worth another try: rate limits and GitHub's own outages. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500 || (this.status === 403 && this.retryAfterMs !== undefined);
  }
}

/** "owner/name" -> RepoRef. */
export function parseRepository(repository: string): RepoRef {
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length > 0) throw new Error(`expected owner/name, got ${JSON.stringify(repository)}`);
  return { owner, repo };
}
