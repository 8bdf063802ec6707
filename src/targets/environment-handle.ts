/**
 * The seam between the promotion's steps and a target (ARCHITECTURE.md's
 * Target): an environment opened for work. The local target implements it
 * with Miniflare, the cloudflare target with the REST API and wrangler; the
 * steps (promotion-steps.ts) are written once against it.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import type { StepDetail } from '../events/run-events.js';
import type { EnvironmentDatabase, EnvironmentFleet } from '../config/environment-databases.js';
import type { D1Connection, ScratchDatabase } from '../d1/connection.js';

/**
 * What an adapter is given to open one environment: the project root, that
 * environment's databases and the run's redactor; never the whole workspace.
 * A database entry with `fleet` set becomes a HandleFleet, not a HandleDatabase.
 */
export interface TargetContext {
  root: string;
  databases: readonly EnvironmentDatabase[];
  redact: (text: string) => string;
}

export interface HandleDatabase extends EnvironmentDatabase {
  conn: D1Connection;
  /** The D1 database id where the target has one (cloudflare), for backup headers. */
  databaseId?: string;
  /** A throwaway database in the local engine for preflight. */
  scratch(): Promise<ScratchDatabase>;
}

/** One tenant of a fleet, opened: its own connection (lease and ledger live in it) and a scratch twin for preflight. */
export interface TenantDatabase {
  tenant: string;
  conn: D1Connection;
  scratch(): Promise<ScratchDatabase>;
}

/**
 * A fleet binding (one environment, many tenant databases) behind the seam. The
 * engine (engine/fleet-stage.ts) migrates each tenant as it would a single
 * database; the target only says which tenants there are and opens them.
 * Requests to a remote target go through the target's one request budget, shared
 * by every tenant of the run (Cloudflare: 1,200 per 5 minutes, retry-after honoured).
 */
export interface HandleFleet extends EnvironmentFleet {
  /** Every tenant of the fleet, in the fleet's order (file order; for `match`, by name). */
  tenants(signal?: AbortSignal): Promise<string[]>;
  /** Opens one tenant; cheap and repeatable (no new runtime per tenant). Throws for a tenant the fleet does not have. */
  open(tenant: string, signal?: AbortSignal): Promise<TenantDatabase>;
  /** Per-tenant bookmarks, when the target offers them (rollback of a tenant without down migrations). */
  timeTravel?(tenant: string): TimeTravel;
}

export interface TimeTravel {
  /** A bookmark of every database of the environment, taken now. */
  bookmark(runId: string, signal?: AbortSignal): Promise<{ id: string; at: number }>;
  restore(id: string, signal?: AbortSignal): Promise<{ restoredAt: number }>;
  /** The newest bookmark this target keeps a record of (local: its bookmark store); undefined when none or unknown. */
  latest?(): Promise<{ id: string; at: number } | undefined>;
}

/** A manual rollback of the Worker: back to the version before the one serving now. */
export interface WorkerRollback {
  /** undefined `to`: there is no earlier version, nothing was changed. */
  rollbackToPrevious(message: string, signal?: AbortSignal): Promise<{ from?: string; to?: string }>;
}

/** Which versions serve, and how much of the traffic each gets (percentages add up to 100). */
export interface TrafficSplit {
  versions: { id: string; percentage: number }[];
}

/**
 * Gradual deployments (two versions side by side): what a target needs for a
 * health-gated rollout. Every method checks what serves first, so a resumed
 * run repeats them safely.
 */
export interface WorkerRollout {
  /** The key of the Cloudflare-Workers-Version-Overrides header: the Worker's script name. */
  scriptName: string;
  /** What serves now (no versions: nothing was ever deployed). */
  split(signal?: AbortSignal): Promise<TrafficSplit>;
  /** This build as a version that serves nothing yet; a version of this build uploaded before is reused. */
  upload(runId: string, changeId: string, signal?: AbortSignal): Promise<{ version: string }>;
  /** newVersion at `percentage`, oldVersion at the rest (at 100, or without oldVersion, newVersion alone). */
  deploySplit(a: { newVersion: string; oldVersion?: string; percentage: number; runId: string }, signal?: AbortSignal): Promise<void>;
}

export interface WorkerDeployer {
  /** Present when the target supports gradual deployments. */
  rollout?: WorkerRollout;
  deploy(runId: string, signal?: AbortSignal): Promise<{ version: string; previousVersion?: string }>;
  /** Back to the version that served before this run's first deployment. */
  rollbackRun(runId: string, signal?: AbortSignal): Promise<StepDetail>;
  /** Identity of the build serving now (for the staging-first gate). */
  servingCodeHash(): Promise<string | undefined>;
}

export interface EnvironmentHandle {
  env: LoadedEnvironment;
  /** The single databases (fleet bindings are in `fleets`). */
  databases: HandleDatabase[];
  /** Fleet bindings, when the environment has any. */
  fleets?: HandleFleet[];
  timeTravel: TimeTravel;
  worker?: WorkerDeployer;
  /** Present when the environment has a Worker, even when no build was made (manual rollback). */
  workerRollback?: WorkerRollback;
  /**
   * The target's own export of one database as SQL (cloudflare: D1's export API). Absent:
   * promote dumps it through the connection (engine/backups.ts).
   */
  exportSql?(db: HandleDatabase, signal?: AbortSignal): Promise<string>;
  /** Where relative health check URLs resolve. */
  baseUrl(): string | undefined;
  /** Said beside what was read, e.g. that another process holds the environment and a copy was read. */
  note?: string;
  dispose(): Promise<void>;
}
