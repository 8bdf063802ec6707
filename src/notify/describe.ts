/**
 * Words for run events, shared by the plain and the live sink so CI logs and the
 * terminal say the same thing. Pure: strings in, strings out, no color — the sinks
 * decide how to paint them.
 */
import type { CheckResult, RolloutStep, RunEvent, StageResult, StageSummary, StepDetail, StepName } from '../events/run-events.js';

import { TENANT_RESULTS, type TenantResult } from '../fleet/outcome.js';

type SummaryEvent = Extract<RunEvent, { type: 'summary' }>;

/** How many failed tenants a one-line summary names before "and N more". */
const NAMED_FAILURES = 10;

/** "198 applied, 2 failed (failed: t-0007, t-0101)": the non-zero counts, then the failed tenants by name. */
export function describeFleetCounts(counts: Record<TenantResult, number>, failed: readonly string[]): string {
  const parts = TENANT_RESULTS.filter((r) => counts[r] > 0).map((r) => `${counts[r]} ${r}`);
  const named = failed.slice(0, NAMED_FAILURES).join(', ') + (failed.length > NAMED_FAILURES ? ` and ${failed.length - NAMED_FAILURES} more` : '');
  return `${parts.join(', ') || 'no tenants'}${failed.length ? ` (failed: ${named})` : ''}`;
}

/** Each stage's fleets, for summaries: "production DB: 198 applied, 2 failed (failed: …)". */
export function describeStageFleets(stages: readonly StageSummary[]): string[] {
  return stages.flatMap((s) => (s.fleets ?? []).map((f) => `${s.environment} ${f.binding}: ${describeFleetCounts(f.counts, f.failed)}`));
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** Errors can carry a wrangler stderr dump; a log line must stay one line. */
export function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' | ');
}

export function describeMigrations(names: readonly string[]): string {
  if (names.length === 0) return 'no pending migrations';
  return `${names.length} migration${names.length === 1 ? '' : 's'} (${names.join(', ')})`;
}

export function describeSeeds(names: readonly string[]): string {
  return `${names.length} seed${names.length === 1 ? '' : 's'} (${names.join(', ')})`;
}

export function describeLostWrites(bookmark: string | undefined, windowMs: number): string {
  return `writes after bookmark ${bookmark ?? '(unknown)'} are lost: ${formatDuration(windowMs)} window`;
}

/** What a finished step did, e.g. "3 migrations (a.sql, b.sql, c.sql)"; '' when there is nothing to say. */
export function describeDetail(step: StepName, detail: StepDetail | undefined): string {
  if (!detail) return '';
  const parts: string[] = [];
  // First: on a preflight or rollback line this is what a person has to act on.
  for (const w of detail.warnings ?? []) parts.push(`warning: ${oneLine(w)}`);
  if (detail.lostWritesWindowMs !== undefined) parts.push(describeLostWrites(detail.bookmark, detail.lostWritesWindowMs));
  if (detail.migrations) parts.push(describeMigrations(detail.migrations));
  if (detail.seeds && detail.seeds.length > 0) parts.push(describeSeeds(detail.seeds));
  if (step === 'bookmark' && detail.bookmark) parts.push(`bookmark ${detail.bookmark}`);
  if (detail.backups && detail.backups.length > 0) parts.push(`verified backup ${detail.backups.join(', ')}`);
  if (detail.workerVersion) {
    const was = detail.previousWorkerVersion ? ` (was ${detail.previousWorkerVersion})` : '';
    parts.push(`version ${detail.workerVersion}${was}`);
  }
  if (detail.rollout) parts.push(`rollout ${describeRolloutPath(detail.rollout)}`);
  if (detail.checks) {
    const passed = detail.checks.filter((c) => c.ok).length;
    parts.push(`${passed}/${detail.checks.length} checks passed`);
  }
  if (detail.database === 'time-travel') {
    parts.push(detail.lostWritesWindowMs === undefined ? `database restored to bookmark ${detail.bookmark ?? '(unknown)'}` : 'database restored by time travel');
  }
  if (detail.database === 'down-migrations') parts.push('database rolled back with down migrations');
  if (detail.database === 'none') parts.push('database left as is');
  if (detail.message) parts.push(oneLine(detail.message));
  return parts.join('; ');
}

export function failingChecks(detail: StepDetail | undefined): CheckResult[] {
  return detail?.checks?.filter((c) => !c.ok) ?? [];
}

/**
 * A failed check with the evidence of its last attempt, e.g.
 * `GET /health: status 503, expected 200 (3 attempts, 412 ms, body "upstream down")`.
 * The time shown is the last attempt's latency; the status is repeated only when the reason omits it.
 */
export function describeCheckFailure(check: CheckResult): string {
  const last = check.attempts.at(-1);
  let reason = check.reason ?? last?.reason ?? (check.inconclusive ? 'no answer' : 'failed');
  if (check.inconclusive && !reason.includes('inconclusive')) reason = `inconclusive, ${reason}`;
  const n = check.attempts.length;
  const evidence = [`${n} attempt${n === 1 ? '' : 's'}`];
  if (last) {
    if (last.noAnswer || last.status === undefined) evidence.push(`no answer after ${formatDuration(last.latencyMs)}`);
    else {
      if (!reason.includes(String(last.status))) evidence.push(`status ${last.status}`);
      evidence.push(formatDuration(last.latencyMs));
    }
    if (last.reason && last.reason !== reason) evidence.push(`last: ${oneLine(last.reason)}`);
    // JSON quoting keeps a multi-line or quote-laden body on one readable line.
    if (last.bodyExcerpt) evidence.push(`body ${JSON.stringify(last.bodyExcerpt)}`);
  }
  return `${check.name}: ${oneLine(reason)} (${evidence.join(', ')})`;
}

/** The lines explaining a failed step: one per failing check, else the error, then any other detail. */
export function describeFailure(step: StepName, error: string, detail: StepDetail | undefined): string[] {
  const checks = failingChecks(detail);
  const lines = checks.length > 0 ? checks.map(describeCheckFailure) : [oneLine(error)];
  const rest = describeDetail(step, detail ? { ...detail, checks: undefined } : undefined);
  return rest ? [...lines, rest] : lines;
}

export function describeStageResult(result: StageResult): string {
  return result === 'rolled-back' ? 'rolled back' : result;
}

export function describeStages(stages: readonly StageSummary[]): string {
  return stages.map((s) => `${s.environment} ${describeStageResult(s.result)}`).join(', ');
}

export function describeRunResult(summary: SummaryEvent): string {
  return summary.result === 'rolled-back' ? 'rolled back' : summary.result;
}

/** Lost-write windows of rolled-back stages: a person must know which writes to replay. */
export function describeStageLosses(stages: readonly StageSummary[]): string[] {
  return stages
    .filter((s) => s.lostWritesWindowMs !== undefined)
    .map((s) => `${s.environment}: ${describeLostWrites(s.bookmark, s.lostWritesWindowMs ?? 0)}`);
}

/** Each stage's warnings (schema drift let through by schemaDrift: warn), e.g. "staging: warning: schema drift: …". */
export function describeStageWarnings(stages: readonly StageSummary[]): string[] {
  return stages.flatMap((s) => (s.warnings ?? []).map((w) => `${s.environment}: warning: ${oneLine(w)}`));
}

/** Backup files stages wrote before migrating, e.g. "production backup .promote/backups/production/r-…-DB.sql". */
export function describeStageBackups(stages: readonly StageSummary[]): string[] {
  return stages.filter((s) => s.backups && s.backups.length > 0).map((s) => `${s.environment} backup ${s.backups!.join(', ')}`);
}

/** A rollout's path, e.g. "0% ✓ → 10% ✗". */
export function describeRolloutPath(steps: readonly { percentage: number; ok: boolean }[]): string {
  return steps.map((s) => `${s.percentage}% ${s.ok ? '✓' : '✗'}`).join(' → ');
}

/** One rollout step as a line, e.g. "new 1b2c… at 10%, old 9f8e… at 90%: 2/2 checks passed". */
export function describeRolloutStep(step: RolloutStep): string {
  const split = step.oldVersion
    ? `new ${step.newVersion} at ${step.percentage}%, old ${step.oldVersion} at ${100 - step.percentage}%`
    : `new ${step.newVersion} at ${step.percentage}%`;
  const passed = step.checks.filter((c) => c.ok).length;
  const failing = step.checks.filter((c) => !c.ok).map(describeCheckFailure);
  return `${split}: ${passed}/${step.checks.length} checks passed${failing.length > 0 ? `; ${failing.join('; ')}` : ''} (${formatDuration(step.durationMs)})`;
}

/** Stages that rolled out gradually, e.g. "staging rollout 0% ✓ → 10% ✗". */
export function describeStageRollouts(stages: readonly StageSummary[]): string[] {
  return stages.filter((s) => s.rollout && s.rollout.length > 0).map((s) => `${s.environment} rollout ${describeRolloutPath(s.rollout!)}`);
}
