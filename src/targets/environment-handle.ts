/**
 * The seam between the promotion's steps and a target (ARCHITECTURE.md's
 * Target): an environment opened for work. The local target implements it
 * with Miniflare, the cloudflare target with the REST API and wrangler; the
 * steps (promotion-steps.ts) are written once against it.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import type { StepDetail } from '../events/run-events.js';
import type { EnvironmentDatabase } from '../config/environment-databases.js';
import type { D1Connection, ScratchDatabase } from '../d1/connection.js';

/**
 * What an adapter is given to open one environment: the project root, that
 * environment's databases and the run's redactor; never the whole workspace.
 */
export interface TargetContext {
  root: string;
  databases: readonly EnvironmentDatabase[];
  redact: (text: string) => string;
}

export interface HandleDatabase extends EnvironmentDatabase {
  conn: D1Connection;
  /** A throwaway database in the local engine for preflight. */
  scratch(): Promise<ScratchDatabase>;
}

export interface TimeTravel {
  /** A bookmark of every database of the environment, taken now. */
  bookmark(runId: string): Promise<{ id: string; at: number }>;
  restore(id: string): Promise<{ restoredAt: number }>;
}

export interface WorkerDeployer {
  deploy(runId: string, signal?: AbortSignal): Promise<{ version: string; previousVersion?: string }>;
  /** Back to the version that served before this run's first deployment. */
  rollbackRun(runId: string): Promise<StepDetail>;
  /** Identity of the build serving now (for the staging-first gate). */
  servingCodeHash(): Promise<string | undefined>;
}

export interface EnvironmentHandle {
  env: LoadedEnvironment;
  databases: HandleDatabase[];
  timeTravel: TimeTravel;
  worker?: WorkerDeployer;
  /** Saves a copy of every database before migrating (files written), when the environment asks for it. */
  backup?(runId: string): Promise<string[]>;
  /** Where relative health check URLs resolve. */
  baseUrl(): string | undefined;
  /** Said beside what was read, e.g. that another process holds the environment and a copy was read. */
  note?: string;
  dispose(): Promise<void>;
}
