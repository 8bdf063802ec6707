/**
 * `promote report --merge`: the reports of one sharded run set joined into one
 * summary and one exit code. Pure: the command reads and validates the files,
 * this decides whether they belong together and what they say.
 *
 * They belong together when every sharded report has the same shard count and
 * each shard 1..n is there exactly once (a missing shard is a job whose result
 * nobody saw, never a success). Reports without a shard (the job that ran the
 * single-database stages) may be merged in beside them.
 */
import { describeShard } from '../fleet/shard.js';
import { ENTRY_RESULTS, type EntryResult, type ReportEntry, type RunReport } from './run-report.js';

export interface NamedReport {
  file: string;
  report: RunReport;
}

export interface DatabaseCounts {
  environment: string;
  database: string;
  /** Tenants (0 for a single database). */
  tenants: number;
  counts: Record<EntryResult, number>;
}

export interface MergedReport {
  /** The shard count when the reports are shards, else undefined. */
  shards?: number;
  runIds: string[];
  runs: ReportEntry[];
  databases: DatabaseCounts[];
  /** failed and rolled-back entries, in report order. */
  failed: ReportEntry[];
  /** Runs that ended with a non-zero exit code, whatever their entries say (a shard refused before it began). */
  unsuccessful: { file: string; runId: string; shard?: string; exitCode: number }[];
  exitCode: 0 | 1;
}

export type MergeOutcome = { merged: MergedReport } | { problems: string[] };

export function mergeReports(reports: readonly NamedReport[]): MergeOutcome {
  if (reports.length === 0) return { problems: ['no report files given: promote report --merge <file>...'] };
  const problems: string[] = [];
  const sharded = reports.filter((r) => r.report.shard !== undefined);
  const counts = [...new Set(sharded.map((r) => r.report.shard!.count))];
  let shards: number | undefined;
  if (counts.length > 1) {
    problems.push(`the reports are shards of different run sets: ${sharded.map((r) => `${r.file} is ${describeShard(r.report.shard!)}`).join(', ')}; merge the shards of one matrix`);
  } else if (counts.length === 1) {
    shards = counts[0]!;
    const byIndex = new Map<number, string[]>();
    for (const r of sharded) byIndex.set(r.report.shard!.index, [...(byIndex.get(r.report.shard!.index) ?? []), r.file]);
    for (const [index, files] of byIndex) if (files.length > 1) problems.push(`shard ${index}/${shards} is given twice (${files.join(', ')}): pass each shard's report once`);
    const missing = Array.from({ length: shards }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
    if (missing.length > 0) {
      problems.push(
        `${missing.map((i) => `shard ${i}/${shards}`).join(', ')} missing: no report for ${missing.length === 1 ? 'it' : 'them'}; its job failed before writing one or its artifact was not downloaded, so its tenants' results are unknown`,
      );
    }
  }

  // The same entry twice: two shards that both ran a tenant is a split that did not hold
  // (different tenant lists or promote versions), refused rather than guessed. Otherwise (the
  // unsharded run after the shards reads every tenant as unchanged; a shard's skipped canary)
  // the weightier result stands: failed, rolled back, applied, unchanged, skipped.
  const entries = new Map<string, { entry: ReportEntry; named: NamedReport }>();
  for (const named of reports) {
    for (const entry of named.report.runs) {
      const key = JSON.stringify([entry.environment, entry.database, entry.tenant ?? null]);
      const seen = entries.get(key);
      if (!seen) {
        entries.set(key, { entry, named });
        continue;
      }
      const bothRan = seen.entry.result !== 'skipped' && entry.result !== 'skipped';
      if (bothRan && seen.named.report.shard && named.report.shard) {
        problems.push(`${describeEntry(entry)} is reported by ${seen.named.file} and ${named.file}: the shards did not split the fleet the same way (run every shard with the same promote and the same tenant list)`);
      } else if (WEIGHT[entry.result] > WEIGHT[seen.entry.result]) entries.set(key, { entry, named });
    }
  }
  if (problems.length > 0) return { problems };

  const runs = [...entries.values()].map((e) => e.entry);
  const databases: DatabaseCounts[] = [];
  for (const entry of runs) {
    let row = databases.find((d) => d.environment === entry.environment && d.database === entry.database);
    if (!row) databases.push((row = { environment: entry.environment, database: entry.database, tenants: 0, counts: zeroCounts() }));
    row.counts[entry.result] += 1;
    if (entry.tenant !== undefined) row.tenants += 1;
  }
  const failed = runs.filter((e) => e.result === 'failed' || e.result === 'rolled-back');
  const unsuccessful = reports
    .filter((r) => r.report.exitCode !== 0)
    .map((r) => ({ file: r.file, runId: r.report.runId, ...(r.report.shard ? { shard: describeShard(r.report.shard) } : {}), exitCode: r.report.exitCode }));
  return {
    merged: {
      ...(shards !== undefined ? { shards } : {}),
      runIds: reports.map((r) => r.report.runId),
      runs,
      databases,
      failed,
      unsuccessful,
      exitCode: failed.length > 0 || unsuccessful.length > 0 ? 1 : 0,
    },
  };
}

/** The summary `promote report --merge` prints. */
export function describeMerged(m: MergedReport): string[] {
  const others = m.runIds.length - (m.shards ?? 0);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const head =
    m.shards === undefined ? plural(m.runIds.length, 'report') : `${plural(m.shards, 'shard')}${others > 0 ? ` and ${plural(others, 'other report')}` : ''}`;
  const width = Math.max(0, ...m.databases.map((d) => `${d.environment}/${d.database}`.length));
  const lines = [`promote report: ${head} (runs ${m.runIds.join(', ')})`];
  for (const d of m.databases) {
    const parts = ENTRY_RESULTS.filter((r) => d.counts[r] > 0).map((r) => `${d.counts[r]} ${r}`);
    const what = d.tenants > 0 ? `${d.tenants} tenant${d.tenants === 1 ? '' : 's'}: ${parts.join(', ')}` : parts.join(', ');
    lines.push(`  ${`${d.environment}/${d.database}`.padEnd(width)}  ${what}`);
  }
  if (m.failed.length > 0) {
    lines.push(`failed (${m.failed.length}):`);
    for (const e of m.failed) lines.push(`  ${describeEntry(e)}: ${e.result}${e.error ? `: ${e.error}` : ''}`);
  }
  for (const u of m.unsuccessful) lines.push(`run ${u.runId}${u.shard ? ` (shard ${u.shard})` : ''} ended with exit ${u.exitCode} (${u.file})`);
  const tenantsFailed = m.failed.filter((e) => e.tenant !== undefined).length;
  const verdict =
    m.exitCode === 0
      ? 'ok: every database and tenant applied or unchanged'
      : `failed: ${[
          tenantsFailed > 0 ? `${tenantsFailed} tenant${tenantsFailed === 1 ? '' : 's'} failed` : '',
          m.failed.length > tenantsFailed ? `${m.failed.length - tenantsFailed} database${m.failed.length - tenantsFailed === 1 ? '' : 's'} failed` : '',
          m.unsuccessful.length > 0 ? `${m.unsuccessful.length} run${m.unsuccessful.length === 1 ? '' : 's'} did not succeed` : '',
        ]
          .filter(Boolean)
          .join(', ')}`;
  lines.push(`result: ${verdict} (exit ${m.exitCode})`);
  return lines;
}

function describeEntry(e: ReportEntry): string {
  return `${e.environment}/${e.database}${e.tenant !== undefined ? ` tenant ${e.tenant}` : ''}`;
}

const WEIGHT: Record<EntryResult, number> = { skipped: 0, unchanged: 1, applied: 2, 'rolled-back': 3, failed: 4 };

function zeroCounts(): Record<EntryResult, number> {
  return Object.fromEntries(ENTRY_RESULTS.map((r) => [r, 0])) as Record<EntryResult, number>;
}
