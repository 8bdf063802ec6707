/**
 * Which sinks a run feeds, in this order:
 * - in GitHub Actions, the Actions sink: `::add-mask::` for every secret before any
 *   other line, a log group per stage (it must see an event before the terminal
 *   prints it), annotations, and at the end the step summary and outputs;
 * - the terminal (live view on a TTY, plain lines otherwise, JSON lines with --json);
 * - the run journal;
 * - Slack, when notify.slack has a webhook or a bot token;
 * - GitHub Deployments, when a token, repository and commit are known.
 * Every event is redacted before any of them sees it. Slack and GitHub only queue in
 * write(); close() waits for their queues, each within its own deadline, and a sink
 * that fails or hangs is a `promote: warning:` line, never a different result.
 */
import { declaredSecretNames } from '../config/credential-rules.js';
import type { GitHubNotifyConfig, Project } from '../config/schema.js';
import type { RunSink } from '../events/run-events.js';
import { fanOut } from '../notify/fan-out.js';
import { createActionsSinkFromEnv } from '../notify/github/actions-sink.js';
import { createDeploymentsSink } from '../notify/github/deployments-sink.js';
import { parseRepository } from '../notify/github/github-api.js';
import { createGitHubOctokit } from '../notify/github/github-octokit.js';
import { createJournalSink } from '../notify/journal-sink.js';
import { createJsonSink } from '../notify/json-sink.js';
import { createLiveSink } from '../notify/live-sink.js';
import { createPlainSink } from '../notify/plain-sink.js';
import { createRedactor, redactEvent } from '../notify/redact.js';
import { secretValues } from '../notify/secrets.js';
import type { SlackNotifyConfig } from '../config/slack-config.js';
import { runContextFromEnv, type RunContext } from '../notify/run-context.js';
import { createSlackSink } from '../notify/slack/slack-sink.js';
import { createReportSink } from '../notify/report-sink.js';
import { buildRunReport, type BuildReportOptions } from '../runs/run-report.js';
import type { NotifierSink } from '../notify/notifier-sink.js';
import type { Output } from './output.js';
export { secretsFrom } from '../notify/secrets.js';

export interface RunSinksOptions {
  /** The loaded project: notify config, stage order, environment URLs. */
  project: Project;
  env: NodeJS.ProcessEnv;
  /** Secrets already masked with `::add-mask::` (mask-secrets.ts); the Actions sink masks only the others. */
  masked?: readonly string[];
  /** A sink's trouble, already redacted. Default: `promote: warning: …` on stderr. */
  warn?: (message: string) => void;
  /**
   * The run's report: where to write it (--report, or .promote/reports/ for a sharded run)
   * and what it needs to know. The Actions `runs` output is built from the same report.
   */
  report?: BuildReportOptions & { file?: string };
}

/** Time the GitHub deployments queue gets per call and at the end of the run. */
const GITHUB_TIMEOUT_MS = 10_000;
/** Beyond the longest notifier deadline, how long close() waits before giving up on a stuck sink. */
const CLOSE_GRACE_MS = 2_000;

export function createRunSinks(output: Output, journal: string, redact: (s: string) => string, options: RunSinksOptions): RunSink {
  const { project, env } = options;
  const notify = project.pipeline.notify;
  // The webhook URL or bot token may be written into the config: secrets all the same.
  const configSecrets = slackSecrets(notify?.slack);
  const redactConfig = createRedactor(configSecrets);
  const redactAll = (text: string): string => redactConfig(redact(text));
  const warn = (message: string): void => {
    const text = redactAll(message);
    if (options.warn) options.warn(text);
    else output.err(`promote: warning: ${text}`);
  };
  const context = runContextFromEnv(env, project.pipeline.name);

  const named: { name: string; sink: RunSink }[] = [];
  const actions = createActionsSinkFromEnv(env, {
    // With --json, stdout is JSON lines only; the runner reads workflow commands from stderr too.
    write: (line) => (output.json ? output.err(line) : output.out(line)),
    context,
    redact: redactAll,
    secrets: [...secretValues(env, declaredSecretNames(project.environments.values())), ...configSecrets].filter((s) => !options.masked?.includes(s)),
    onWarning: warn,
    ...(options.report ? { runs: (events) => buildRunReport(events, options.report!).runs } : {}),
  });
  if (actions) named.push({ name: 'GitHub Actions', sink: actions });
  const terminal = output.json ? createJsonSink((line) => output.out(line)) : output.interactive ? createLiveSink(output) : createPlainSink(output);
  named.push({ name: 'terminal', sink: terminal }, { name: 'journal', sink: createJournalSink(journal) });
  if (options.report?.file) named.push({ name: `report ${options.report.file}`, sink: createReportSink(options.report.file, options.report) });

  const notifiers: { sink: NotifierSink; deadlineMs: number }[] = [];
  const slack = notify?.slack ? createSlackSink(notify.slack, { context, redact: redactAll, onWarning: warn }) : undefined;
  if (slack && notify?.slack) {
    notifiers.push({ sink: slack, deadlineMs: notify.slack.timeout });
    named.push({ name: 'Slack', sink: slack });
  }
  const deployments = githubDeployments(project, env, notify?.github, context, redactAll, warn);
  if (deployments) {
    notifiers.push({ sink: deployments, deadlineMs: GITHUB_TIMEOUT_MS });
    named.push({ name: 'GitHub deployments', sink: deployments });
  }

  const inner = fanOut(
    named.map((n) => n.sink),
    (i, error) => warn(`${named[i]?.name ?? 'a sink'} output failed: ${(error as Error)?.message ?? String(error)}`),
  );
  // The queues end by their own deadlines; this cap only guards against a sink that ignores its own.
  const closeCapMs = Math.max(0, ...notifiers.map((n) => n.deadlineMs)) + CLOSE_GRACE_MS;
  return {
    write: (event) => inner.write(redactEvent(event, redactAll)),
    close: async () => {
      // Not unref'd: were the loop to empty while a sink is stuck, the process would exit with
      // the wrong code instead of returning the run's. Cleared as soon as the sinks are done.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const capped = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), closeCapMs)));
      const closed = Promise.resolve(inner.close?.()).then(() => true);
      const inTime = await Promise.race([closed, capped]);
      clearTimeout(timer);
      if (!inTime) warn(`notifications still pending after ${Math.round(closeCapMs / 1000)} s were abandoned`);
    },
  };
}

function slackSecrets(slack: SlackNotifyConfig | undefined): string[] {
  return [slack?.webhook, slack?.token].filter((s): s is string => typeof s === 'string' && s !== '');
}

/**
 * GitHub Deployments when a token, a repository and a commit are known: in GitHub Actions
 * (GITHUB_TOKEN passed to the step), or anywhere GITHUB_TOKEN and GITHUB_REPOSITORY are set.
 * Off with notify.github.deployments: false. In Actions, a missing token is only worth a
 * warning when notify.github asked for deployments explicitly.
 */
function githubDeployments(
  project: Project,
  env: NodeJS.ProcessEnv,
  config: GitHubNotifyConfig | undefined,
  context: RunContext,
  redact: (text: string) => string,
  warn: (message: string) => void,
): NotifierSink | undefined {
  if (config?.deployments === false) return undefined;
  const token = present(env.GITHUB_TOKEN);
  const repository = present(env.GITHUB_REPOSITORY);
  const sha = present(env.GITHUB_SHA);
  // A laptop is not a deployment: outside Actions, only a token and a repository together opt in.
  if (env.GITHUB_ACTIONS !== 'true' && !(token && repository)) return undefined;
  const missing = [token ? '' : 'GITHUB_TOKEN', repository ? '' : 'GITHUB_REPOSITORY', sha ? '' : 'GITHUB_SHA'].filter(Boolean);
  if (!token || !repository || !sha) {
    if (config) warn(`notify.github: no GitHub deployments: ${missing.join(', ')} not set (pass GITHUB_TOKEN: \${{ github.token }} to the step)`);
    return undefined;
  }
  let repo;
  try {
    repo = parseRepository(repository);
  } catch (error) {
    warn(`notify.github: no GitHub deployments: GITHUB_REPOSITORY ${(error as Error).message}`);
    return undefined;
  }
  const lastStage = project.pipeline.stages.at(-1)?.environment;
  return createDeploymentsSink({
    api: createGitHubOctokit({ token, ...(present(env.GITHUB_API_URL) ? { baseUrl: present(env.GITHUB_API_URL) } : {}), onWarning: warn }),
    repository: repo,
    ref: sha,
    environmentPrefix: config?.environmentPrefix ?? 'promote/',
    // The pipeline's last stage, also on a run that stops earlier (--to staging).
    ...(lastStage ? { productionEnvironments: [lastStage] } : {}),
    environmentUrl: (stage) => {
      const e = project.environments.get(stage)?.config;
      return e?.target === 'cloudflare' ? e.worker?.url : undefined;
    },
    ...(context.ciRunUrl ? { logUrl: context.ciRunUrl } : {}),
    redact,
    onWarning: warn,
    timeoutMs: GITHUB_TIMEOUT_MS,
  });
}

function present(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}
