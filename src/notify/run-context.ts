/**
 * Who and what started a run, as far as the environment tells: the facts Slack
 * messages and the GitHub step summary show beside every transition.
 */

export interface RunContext {
  pipeline: string;
  /** Full commit SHA. */
  commit?: string;
  /** Link to the commit on GitHub, when the repository is known. */
  commitUrl?: string;
  /** The person or app that triggered the run (GITHUB_ACTOR). */
  actor?: string;
  /** What triggered it (GITHUB_EVENT_NAME: push, workflow_dispatch, …). */
  trigger?: string;
  /** Link to the CI run's log. */
  ciRunUrl?: string;
  /** owner/name */
  repository?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const present = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/** The run context from GitHub Actions' variables; outside Actions only the pipeline is known. */
export function runContextFromEnv(env: Env, pipeline: string): RunContext {
  const server = present(env.GITHUB_SERVER_URL)?.replace(/\/+$/, '');
  const repository = present(env.GITHUB_REPOSITORY);
  const runId = present(env.GITHUB_RUN_ID);
  const attempt = present(env.GITHUB_RUN_ATTEMPT);
  const commit = present(env.GITHUB_SHA);
  const actor = present(env.GITHUB_ACTOR);
  const trigger = present(env.GITHUB_EVENT_NAME);
  const base = server && repository ? `${server}/${repository}` : undefined;
  // Attempt 1 has no /attempts/ path; later attempts link to their own log.
  const ciRunUrl = base && runId ? `${base}/actions/runs/${runId}${attempt && attempt !== '1' ? `/attempts/${attempt}` : ''}` : undefined;
  return {
    pipeline,
    ...(commit ? { commit } : {}),
    ...(base && commit ? { commitUrl: `${base}/commit/${commit}` } : {}),
    ...(actor ? { actor } : {}),
    ...(trigger ? { trigger } : {}),
    ...(ciRunUrl ? { ciRunUrl } : {}),
    ...(repository ? { repository } : {}),
  };
}

export function shortCommit(commit: string): string {
  return /^[0-9a-f]{40}$/i.test(commit) ? commit.slice(0, 7) : commit;
}

/** "alice via push", "alice", "push" or undefined. */
export function describeTrigger(context: RunContext): string | undefined {
  if (context.actor && context.trigger) return `${context.actor} via ${context.trigger}`;
  return context.actor ?? context.trigger;
}
