/**
 * What a promotion tells the world. Every transition of the machine becomes one
 * of these; the terminal, the run journal, --json, Slack and GitHub are sinks
 * fed by the same stream. JSON-serializable by construction.
 */
import type { TenantResult } from '../fleet/outcome.js';

export const STEPS = ['preflight', 'lock', 'backup', 'bookmark', 'migrate', 'deploy', 'verify', 'unlock', 'rollback', 'reverify'] as const;
export type StepName = (typeof STEPS)[number];

export type StageResult = 'promoted' | 'rolled-back' | 'failed' | 'skipped';
export type RunResult = 'promoted' | 'rolled-back' | 'failed';

/** What one health check attempt saw: the evidence carried into the journal and the terminal. */
export interface CheckEvidence {
  attempt: number;
  ok: boolean;
  status?: number;
  latencyMs: number;
  /** First 200 characters of the body, secrets redacted. */
  bodyExcerpt?: string;
  /** Why it failed: status mismatch, body mismatch, too slow, timeout, connection error. */
  reason?: string;
  /** true when the attempt got no answer at all (timeout / connection refused). */
  noAnswer?: boolean;
}

export interface CheckResult {
  name: string;
  url: string;
  ok: boolean;
  /** Every attempt ended without an answer: the check could not decide, which counts as a failure. */
  inconclusive: boolean;
  reason?: string;
  attempts: CheckEvidence[];
  durationMs: number;
}

/** One step of a gradual rollout: the split it deployed and what its health checks saw. */
export interface RolloutStep {
  /** Percentage of traffic the new version serves at this step. */
  percentage: number;
  newVersion: string;
  /** Absent when nothing served before (the new version went straight to 100%). */
  oldVersion?: string;
  ok: boolean;
  /** Wall time of the step's checks (soak included). */
  durationMs: number;
  checks: CheckResult[];
}

export interface StepDetail {
  migrations?: string[];
  /** Seeds (recorded names, e.g. dev/0001_x.sql), applied after the migrations. */
  seeds?: string[];
  bookmark?: string;
  /** Backup files written (and verified) before the stage migrated. */
  backups?: string[];
  workerVersion?: string;
  previousWorkerVersion?: string;
  checks?: CheckResult[];
  /** Time travel only: writes made between the bookmark and the restore are gone. */
  lostWritesWindowMs?: number;
  database?: 'time-travel' | 'down-migrations' | 'none';
  message?: string;
  /** Gradual rollout: every step taken, in order. */
  rollout?: RolloutStep[];
  /** Preflight: what the run goes on with but a person must know (schema drift under schemaDrift: warn). */
  warnings?: string[];
}

interface Base {
  runId: string;
  /** ISO time of the event. */
  at: string;
}

export type RunEvent =
  | (Base & { type: 'run.started'; pipeline: string; to: string; stages: string[]; dryRun: boolean; resumed: boolean })
  | (Base & { type: 'step.started'; stage: string; step: StepName })
  | (Base & { type: 'step.succeeded'; stage: string; step: StepName; durationMs: number; detail?: StepDetail })
  | (Base & { type: 'step.failed'; stage: string; step: StepName; durationMs: number; error: string; detail?: StepDetail })
  /** A gradual rollout finished one step (sent while the verify step runs). */
  | (Base & { type: 'rollout.step'; stage: string; step: RolloutStep })
  /** A fleet's migrate step begins (the environment is the stage). */
  | (Base & { type: 'fleet-start'; environment: string; binding: string; total: number; canaries: number; concurrency: number; preflights?: number })
  /** One tenant started (`running`) or ended; one ended event per tenant and run, which resume and status read. */
  | (Base & { type: 'tenant'; environment: string; binding: string; tenant: string; status: 'running' | TenantResult; error?: string; migrations?: string[]; version?: string; canary?: boolean; bookmark?: { id: string; at: number } })
  /** The canaries are migrated and the environment's health checks ran (or could not: `skipped` says why), before any other tenant starts. */
  | (Base & { type: 'fleet-canaries'; environment: string; binding: string; canaries: string[]; ok: boolean; checks?: CheckResult[]; skipped?: string; error?: string })
  | (Base & { type: 'fleet-end'; environment: string; binding: string; counts: Record<TenantResult, number>; failed: string[] })
  | (Base & { type: 'stage.finished'; stage: string; result: StageResult; durationMs: number })
  | (Base & { type: 'run.interrupted'; stage?: string; step?: StepName; message: string })
  | (Base & { type: 'summary'; result: RunResult | 'interrupted'; exitCode: number; stages: StageSummary[]; durationMs: number; message?: string; action?: string });

export interface StageSummary {
  environment: string;
  result: StageResult;
  bookmark?: string;
  /** Backup files the stage wrote before migrating. */
  backups?: string[];
  migrations: string[];
  /** Seeds applied to this stage by the run (always set by the runner; [] when none). */
  seeds?: string[];
  durationMs: number;
  workerVersion?: string;
  lostWritesWindowMs?: number;
  /** Gradual rollout: each step's split and verdict, in order. */
  rollout?: { percentage: number; ok: boolean }[];
  /** The stage's preflight warnings (schema drift under schemaDrift: warn). */
  warnings?: string[];
  /** Each fleet of the stage: tenants per result and the failed ones by name. */
  fleets?: FleetSummary[];
}

export interface FleetSummary {
  binding: string;
  total: number;
  counts: Record<TenantResult, number>;
  failed: string[];
}

/** A fleet event as a step reports it; the runner adds runId and time. */
export type FleetEvent = DistributiveOmit<Extract<RunEvent, { type: 'fleet-start' | 'tenant' | 'fleet-canaries' | 'fleet-end' }>, 'runId' | 'at'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a step reports while it runs (a rollout's steps); the runner turns it into RunEvents. */
export interface StepProgress {
  rolloutStep(step: RolloutStep): void;
  /** A fleet's progress (fleet-start, each tenant, fleet-end); journaled before the call returns. */
  fleet?(event: FleetEvent): void | Promise<void>;
}

/** A sink receives every event in order. It must never throw into the promotion. */
export interface RunSink {
  write(event: RunEvent): void | Promise<void>;
  close?(): void | Promise<void>;
}
