/**
 * The migration plan as one sticky pull-request comment: found by a hidden marker
 * and edited in place, so a PR shows the current plan once, not a comment per push.
 */
import type { MigrationClass } from '../../migrations/expand-contract.js';
import type { Drift } from '../../migrations/plan.js';
import { sortProblems, type Problem } from '../../problems.js';
import type { GitHubApi, IssueComment, RepoRef } from './github-api.js';

export const PLAN_MARKER = '<!-- promote:plan -->';
/** GitHub rejects comment bodies over 65,536 characters. */
const BODY_LIMIT = 65_536;

export interface PlanForComment {
  stages: {
    environment: string;
    pending: string[];
    drift: Drift[];
    /** Expand or contract, by pending name (contract: the previous Worker version cannot run beside it). */
    classes?: Record<string, MigrationClass>;
    /** Seeds that would be applied after the migrations (recorded names). */
    seeds?: string[];
  }[];
  warnings: Problem[];
  /** The commit the plan was made for. */
  commit?: string;
}

/** Pure: the comment body, marker first. */
export function buildPlanComment(plan: PlanForComment): string {
  const out = [PLAN_MARKER, `## promote plan${plan.commit ? ` for \`${plan.commit.slice(0, 12)}\`` : ''}`, ''];
  out.push('| Environment | Pending migrations | Drift |', '|---|---|---|');
  for (const s of plan.stages) {
    const label = (name: string) => (s.classes?.[name] === 'contract' ? ' ⚠️ contract' : s.classes?.[name] === 'expand' ? ' expand' : '');
    const items = [...s.pending.map((n) => `${code(n)}${label(n)}`), ...(s.seeds ?? []).map((n) => `${code(n)} seed`)];
    const pending = items.length === 0 ? 'none' : items.join('<br>');
    const drift = s.drift.length === 0 ? 'none' : s.drift.map((d) => `⚠️ ${code(d.name)}: ${d.reason}`).join('<br>');
    out.push(`| ${escape(s.environment)} | ${pending} | ${drift} |`);
  }
  out.push('');
  if (plan.warnings.length > 0) {
    out.push(`### ${plan.warnings.length} lint warning${plan.warnings.length === 1 ? '' : 's'}`, '');
    for (const p of sortProblems(plan.warnings)) {
      const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
      out.push(`- ${code(where)} **${escape(p.code)}**: ${escape(p.message)}${p.hint ? ` (fix: ${escape(p.hint)})` : ''}`);
    }
    out.push('');
  }
  out.push('<sub>Updated by promote on every push; this comment is edited, not repeated.</sub>');
  const body = out.join('\n');
  return body.length <= BODY_LIMIT ? body : `${body.slice(0, BODY_LIMIT - 200).replace(/\n[^\n]*$/, '')}\n\n… plan cut at GitHub's comment size limit; run \`promote plan\` for all of it.`;
}

export interface PostPlanOptions {
  api: GitHubApi;
  repository: RepoRef;
  /** The pull request's number. */
  issueNumber: number;
  plan: PlanForComment;
  redact: (text: string) => string;
  signal?: AbortSignal;
}

export type PlanCommentResult = { action: 'created' | 'updated' | 'unchanged'; commentId: number };

/** Edit the comment carrying the marker, or create it. Throws GitHubApiError. */
export async function postPlanComment(options: PostPlanOptions): Promise<PlanCommentResult> {
  const { api, repository, issueNumber } = options;
  const call = options.signal ? { signal: options.signal } : {};
  const body = options.redact(buildPlanComment(options.plan));
  const existing = await findPlanComment(api, repository, issueNumber, options.signal);
  if (existing) {
    if (existing.body === body) return { action: 'unchanged', commentId: existing.id };
    const updated = await api.updateComment({ ...repository, comment_id: existing.id, body }, call);
    return { action: 'updated', commentId: updated.id ?? existing.id };
  }
  const created = await api.createComment({ ...repository, issue_number: issueNumber, body }, call);
  return { action: 'created', commentId: created.id };
}

/** The oldest comment with the marker, reading pages until it is found. */
export async function findPlanComment(api: GitHubApi, repository: RepoRef, issueNumber: number, signal?: AbortSignal): Promise<IssueComment | undefined> {
  for await (const comments of api.commentPages({ ...repository, issue_number: issueNumber }, signal ? { signal } : {})) {
    const found = comments.find((c) => c.body?.includes(PLAN_MARKER));
    if (found) return found;
  }
  return undefined;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}
