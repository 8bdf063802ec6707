import { readFileSync } from 'node:fs';
import { ExitCode, PromoteError, RunError } from '../../errors.js';
import { parseRepository, type RepoRef } from '../../notify/github/github-api.js';
import { createGitHubOctokit } from '../../notify/github/github-octokit.js';
import { postPlanComment, type PlanForComment } from '../../notify/github/plan-comment.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { observeAndClose } from '../../engine/observe.js';
import { planPromotion } from '../../engine/promotion-plan.js';
import { stagesUpTo } from '../../engine/select-environment.js';
import type { CommandContext } from '../command-context.js';
import { withProjectSecrets } from '../settings.js';
import { describeChunk, pendingChunks } from '../../migrations/transport.js';
import { classifyMigration } from '../../migrations/expand-contract.js';
import { paint, printProblems } from '../output.js';

/** Time for the whole comment (find, then create or update). */
const COMMENT_TIMEOUT_MS = 30_000;

export async function run({ root, output, env, settings: base, values }: CommandContext<'plan'>): Promise<number> {
  // Before reading any environment: a --comment that cannot be posted is a usage error.
  const pullRequest = values.comment ? pullRequestFromEnv(env) : undefined;
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  const stages = stagesUpTo(ws.project, values.to === undefined ? undefined : String(values.to));
  const observed = await Promise.all(
    stages.map(async (e) => {
      return observeAndClose(ws, e, settings);
    }),
  );
  const planned = planPromotion(ws, observed, { rollback: ws.project.pipeline.rollback.database });
  const refusals = planned.problems;
  const plan = {
    type: 'plan',
    pipeline: planned.pipeline,
    stages: planned.stages.map((s, i) => ({
      environment: s.environment,
      bookmark: s.bookmark,
      backup: s.backup,
      ...(observed[i]!.note ? { note: observed[i]!.note } : {}),
      databases: s.databases.map((d) => ({
        binding: d.binding,
        pending: d.pending.map((m) => m.name),
        drift: d.drift,
        /** Seeds after the migrations: applied ones are never applied again. */
        seeds: { applied: d.observed.seedPlan.applied.map((a) => a.name), pending: d.seeds.map((x) => x.name) },
        ...(d.pending.length > 0 && d.observed.transport ? { chunks: pendingChunks(d.pending, d.observed.transport) } : {}),
        /** Each pending migration's class: contract ones cannot go out beside the previous Worker version. */
        migrations: d.pending.map((m) => {
          const c = classifyMigration(m);
          return { name: m.name, class: c.class, reasons: c.reasons.map((r) => r.reason) };
        }),
      })),
    })),
    warnings: [...ws.warnings, ...planned.stages.flatMap((s) => s.warnings)],
    problems: refusals,
  };
  if (output.json) {
    output.out(JSON.stringify(plan));
  } else {
    for (const [i, s] of plan.stages.entries()) {
      output.out(paint(output, 'bold', `${i + 1}. ${s.environment}${s.bookmark ? ' (bookmark before migrating)' : ''}`));
      if (s.note) output.out(`   ${paint(output, 'yellow', 'note:')} ${s.note}`);
      for (const d of s.databases) {
        if (d.pending.length === 0) output.out(`   ${d.binding}: up to date`);
        else output.out(`   ${d.binding}: ${d.pending.length} to apply\n${d.migrations.map((m) => `     + ${m.name} (${m.class}${m.reasons.length > 0 ? `: ${m.reasons.join('; ')}` : ''})`).join('\n')}`);
        for (const c of d.chunks ?? []) output.out(paint(output, 'dim', `     ${describeChunk(c)}`));
        if (d.seeds.pending.length + d.seeds.applied.length > 0) {
          output.out(`   ${d.binding} seeds: ${d.seeds.pending.length > 0 ? `${d.seeds.pending.length} to apply` : 'none to apply'}${d.seeds.applied.length > 0 ? ` (${d.seeds.applied.length} applied: ${d.seeds.applied.join(', ')})` : ''}`);
          for (const name of d.seeds.pending) output.out(`     + ${name}`);
        }
      }
    }
    printProblems(output, [...plan.warnings, ...refusals]);
  }
  if (pullRequest) {
    // Several databases in one environment: name the binding beside each file.
    const named = (binding: string, name: string, many: boolean): string => (many ? `${binding}: ${name}` : name);
    const forComment: PlanForComment = {
      stages: plan.stages.map((s) => {
        const many = s.databases.length > 1;
        return {
          environment: s.environment,
          pending: s.databases.flatMap((d) => d.pending.map((n) => named(d.binding, n, many))),
          classes: Object.fromEntries(s.databases.flatMap((d) => d.migrations.map((m) => [named(d.binding, m.name, many), m.class]))),
          drift: s.databases.flatMap((d) => d.drift.map((x) => ({ ...x, name: named(d.binding, x.name, many) }))),
          seeds: s.databases.flatMap((d) => d.seeds.pending.map((n) => named(d.binding, n, many))),
        };
      }),
      warnings: ws.warnings,
      ...(pullRequest.commit ? { commit: pullRequest.commit } : {}),
    };
    let result;
    try {
      result = await postPlanComment({
        api: createGitHubOctokit({ token: pullRequest.token, ...(pullRequest.apiUrl ? { baseUrl: pullRequest.apiUrl } : {}) }),
        repository: pullRequest.repository,
        issueNumber: pullRequest.number,
        plan: forComment,
        redact: settings.redact,
        signal: AbortSignal.timeout(COMMENT_TIMEOUT_MS),
      });
    } catch (error) {
      const message = settings.redact((error as Error)?.message ?? String(error));
      throw new RunError(
        `the plan comment on pull request #${pullRequest.number} was not posted: ${message}`,
        'the workflow needs `permissions: pull-requests: write` and GITHUB_TOKEN: ${{ github.token }} in the step env',
      );
    }
    output.err(`promote: plan comment ${result.action} on pull request #${pullRequest.number}`);
  }
  return refusals.length > 0 ? 2 : 0;
}

interface PullRequestContext {
  token: string;
  repository: RepoRef;
  number: number;
  apiUrl?: string;
  /** The pull request's head commit. */
  commit?: string;
}

/** Where `--comment` posts: GitHub's variables of a pull_request workflow run. Exit 2 when they are not there. */
function pullRequestFromEnv(env: NodeJS.ProcessEnv): PullRequestContext {
  const usage = (message: string, hint: string): PromoteError => new PromoteError(`plan --comment: ${message}`, ExitCode.invalidInput, hint);
  const event = readEvent(env.GITHUB_EVENT_PATH);
  const fromEvent = event?.pull_request?.number;
  const fromRef = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? '')?.[1];
  const number = typeof fromEvent === 'number' ? fromEvent : fromRef !== undefined ? Number(fromRef) : undefined;
  if (number === undefined) {
    throw usage('not in a pull request (no pull_request in GITHUB_EVENT_PATH, GITHUB_REF is not refs/pull/<n>/merge)', 'run it in a workflow triggered by pull_request, or drop --comment');
  }
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) throw usage('GITHUB_TOKEN is not set', 'add `env: GITHUB_TOKEN: ${{ github.token }}` to the step and `permissions: pull-requests: write` to the job');
  let repository: RepoRef;
  try {
    repository = parseRepository(env.GITHUB_REPOSITORY?.trim() ?? '');
  } catch {
    throw usage('GITHUB_REPOSITORY is not set to owner/name', 'GitHub Actions sets it; elsewhere set GITHUB_REPOSITORY=owner/name');
  }
  const commit = typeof event?.pull_request?.head?.sha === 'string' ? event.pull_request.head.sha : env.GITHUB_SHA?.trim() || undefined;
  const apiUrl = env.GITHUB_API_URL?.trim() || undefined;
  return { token, repository, number, ...(apiUrl ? { apiUrl } : {}), ...(commit ? { commit } : {}) };
}

interface PullRequestEvent {
  pull_request?: { number?: unknown; head?: { sha?: unknown } };
}

function readEvent(path: string | undefined): PullRequestEvent | undefined {
  if (!path) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as PullRequestEvent) : undefined;
  } catch {
    return undefined;
  }
}
