/**
 * A run's outcome as a file another job can read: one entry per environment,
 * database and (for a fleet) tenant, with its result. Every run can write one
 * (`--report <file>`; sharded runs always do, under .promote/reports/), the
 * GitHub Action's `runs` output is its `runs`, and `promote report --merge` joins
 * the files of a matrix of shards into one summary. Versioned: a reader refuses a
 * version it does not know rather than guessing.
 */
import type { RunEvent } from '../events/run-events.js';
import type { Shard } from '../fleet/shard.js';

export const REPORT_VERSION = 1;

/** One vocabulary for single databases and tenants (the fleet's TenantResult). */
export const ENTRY_RESULTS = ['applied', 'unchanged', 'failed', 'skipped', 'rolled-back'] as const;
export type EntryResult = (typeof ENTRY_RESULTS)[number];

export interface ReportEntry {
  environment: string;
  /** The D1 binding. */
  database: string;
  /** Absent for a single database; a fleet's tenant id otherwise. */
  tenant?: string;
  result: EntryResult;
  migrations: string[];
  /** The Worker version serving the environment after the run, when it deployed one. */
  version?: string;
  error?: string;
}

export interface RunReport {
  version: typeof REPORT_VERSION;
  runId: string;
  shard?: Shard;
  exitCode: number;
  runs: ReportEntry[];
}

/**
 * The fleet events as the fleet stage runner emits them. Structural, so the
 * report reads any event stream that carries them and ignores the others.
 */
type TenantEvent = {
  type: 'tenant';
  environment: string;
  binding: string;
  tenant: string;
  status: 'running' | EntryResult;
  error?: string;
  migrations?: string[];
};

export interface BuildReportOptions {
  /** Every single (non-fleet) database binding per environment: a stage's result is each one's. */
  databases: ReadonlyMap<string, readonly string[]>;
  shard?: Shard;
}

/** Pure: the report of a run from its events (the last word about each tenant wins). */
export function buildRunReport(events: readonly RunEvent[], options: BuildReportOptions): RunReport {
  let runId = '';
  let exitCode = 1;
  const single: ReportEntry[] = [];
  const tenants = new Map<string, ReportEntry>();
  for (const raw of events) {
    runId ||= raw.runId;
    const event = raw as RunEvent | (TenantEvent & { runId: string });
    if (event.type === 'tenant') {
      if (event.status === 'running') continue;
      tenants.set(JSON.stringify([event.environment, event.binding, event.tenant]), {
        environment: event.environment,
        database: event.binding,
        tenant: event.tenant,
        result: event.status,
        migrations: event.migrations ?? [],
        ...(event.error ? { error: event.error } : {}),
      });
    } else if (event.type === 'summary') {
      exitCode = event.exitCode;
      for (const stage of event.stages) {
        const result: EntryResult =
          stage.result === 'promoted' ? (stage.migrations.length > 0 ? 'applied' : 'unchanged') : stage.result === 'rolled-back' ? 'rolled-back' : stage.result;
        for (const database of options.databases.get(stage.environment) ?? []) {
          single.push({
            environment: stage.environment,
            database,
            result,
            migrations: stage.migrations,
            ...(stage.workerVersion ? { version: stage.workerVersion } : {}),
            ...(result === 'failed' && event.message ? { error: event.message } : {}),
          });
        }
      }
    }
  }
  return { version: REPORT_VERSION, runId, ...(options.shard ? { shard: options.shard } : {}), exitCode, runs: [...single, ...tenants.values()] };
}

/** Pure: a parsed JSON value as a report, or why not (each reason names the field). */
export function validateReport(value: unknown): { report: RunReport } | { problems: string[] } {
  const problems: string[] = [];
  const o = value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { problems: ['not a JSON object'] };
  if (o.version !== REPORT_VERSION) {
    return { problems: [`version ${JSON.stringify(o.version)}: this promote reads report version ${REPORT_VERSION} (write the reports and merge them with the same promote)`] };
  }
  if (typeof o.runId !== 'string' || o.runId === '') problems.push('runId: expected a non-empty string');
  if (!Number.isInteger(o.exitCode)) problems.push('exitCode: expected an integer');
  if (o.shard !== undefined) {
    const s = o.shard as Record<string, unknown>;
    const ok = typeof s === 'object' && s !== null && Number.isInteger(s.index) && Number.isInteger(s.count) && (s.index as number) >= 1 && (s.index as number) <= (s.count as number);
    if (!ok) problems.push('shard: expected { index, count } with 1 <= index <= count');
  }
  if (!Array.isArray(o.runs)) problems.push('runs: expected an array');
  else
    o.runs.forEach((e: unknown, i) => {
      const r = e as Record<string, unknown>;
      const at = `runs[${i}]`;
      if (typeof r !== 'object' || r === null) return problems.push(`${at}: expected an object`);
      for (const key of ['environment', 'database'] as const) if (typeof r[key] !== 'string' || r[key] === '') problems.push(`${at}.${key}: expected a non-empty string`);
      for (const key of ['tenant', 'version', 'error'] as const) if (r[key] !== undefined && typeof r[key] !== 'string') problems.push(`${at}.${key}: expected a string`);
      if (!ENTRY_RESULTS.includes(r.result as EntryResult)) problems.push(`${at}.result: expected one of ${ENTRY_RESULTS.join(', ')}`);
      if (!Array.isArray(r.migrations) || r.migrations.some((m) => typeof m !== 'string')) problems.push(`${at}.migrations: expected an array of strings`);
      return undefined;
    });
  return problems.length > 0 ? { problems } : { report: o as unknown as RunReport };
}
