/**
 * The promotion as a plan, computed from the files and what each environment
 * was observed to hold: which stages run which steps, what each database will
 * apply, and every problem that stops the run before anything is touched.
 * Pure (no I/O): `plan`, `--dry-run`, `migrate` and `--to` all read this one
 * function, so they can never disagree about what a run would do.
 */
import { stageBacksUp, type LoadedEnvironment } from '../config/schema.js';
import type { StepName } from '../events/run-events.js';
import { missingRollbacks } from '../ledger/down-migrations.js';
import { stageSteps, type RollbackPolicy } from '../machine/promotion-machine.js';
import type { Drift } from '../migrations/plan.js';
import type { Migration, Seed } from '../migrations/types.js';
import type { Problem } from '../problems.js';
import type { Workspace } from './load-workspace.js';
import type { ObservedDatabase, ObservedEnvironment } from './observe.js';
import { contractRefusals } from './contract-refusals.js';
import { migrationRefusals } from './refusals.js';

export interface PlannedDatabase {
  binding: string;
  migrationsDir: string;
  pending: Migration[];
  drift: Drift[];
  /** Seeds to apply after the migrations, in order. */
  seeds: Seed[];
  observed: ObservedDatabase;
}

export interface PlannedStage {
  environment: string;
  env: LoadedEnvironment;
  bookmark: boolean;
  /** Dumps and verifies every database before migrating (the stage's or the environment's `backup: true`). */
  backup: boolean;
  /** The machine's steps for this stage, in order. */
  steps: StepName[];
  databases: PlannedDatabase[];
  /** `GET /health -> 200`, one per health check. */
  checks: string[];
  /** What stops this stage before anything is touched (drift, order, missing rollback files). */
  problems: Problem[];
  /** Said but not refused: seeds edited after they were applied (they are not applied again). */
  warnings: Problem[];
}

export interface PromotionPlan {
  pipeline: string;
  rollback: RollbackPolicy;
  stages: PlannedStage[];
  /** Every stage's problems, in stage order. */
  problems: Problem[];
}

export interface PlanOptions {
  /**
   * The rollback policy the run would use. With `down-migrations`, a pending
   * migration without a rollback file is a problem; `migrate` (which never
   * rolls back) leaves it out.
   */
  rollback?: RollbackPolicy;
}

export function planPromotion(ws: Workspace, observed: readonly ObservedEnvironment[], opts: PlanOptions = {}): PromotionPlan {
  const rollback = opts.rollback ?? ws.project.pipeline.rollback.database;
  const stages = observed.map((o): PlannedStage => {
    const stage = ws.project.pipeline.stages.find((s) => s.environment === o.env.name);
    const bookmark = stage?.bookmark ?? false;
    const backup = stageBacksUp(stage, o.env.config);
    const pending = o.databases.flatMap((d) => d.plan.pending);
    return {
      environment: o.env.name,
      env: o.env,
      bookmark,
      backup,
      steps: stageSteps({ environment: o.env.name, bookmark, backup }),
      databases: o.databases.map((d) => ({ binding: d.binding, migrationsDir: d.migrationsDir, pending: d.plan.pending, drift: d.plan.drift, seeds: d.seedPlan.pending, observed: d })),
      checks: o.env.config.health.map((h) => `${h.method} ${h.url} -> ${h.expect.status}`),
      problems: [...migrationRefusals(o), ...contractRefusals(o), ...(opts.rollback === 'down-migrations' ? rollbackFileProblems(pending) : [])],
      warnings: changedSeeds(o),
    };
  });
  return { pipeline: ws.project.pipeline.name, rollback, stages, problems: stages.flatMap((s) => s.problems) };
}

/** A seed is data applied once: editing it afterwards changes nothing in the database, which the user should know. */
function changedSeeds(o: ObservedEnvironment): Problem[] {
  return o.databases.flatMap((d) =>
    d.seedPlan.applied
      .filter((a) => a.changed)
      .map((a) => ({
        severity: 'warning' as const,
        code: 'W_SEED_CHANGED',
        file: `seeds/${a.name}`,
        message: `seed ${a.name} changed after it was applied to ${o.env.name}/${d.binding} (checksum changed); it is not applied again`,
        hint: 'put new rows in a new seed file (the next number); restore the file as applied (git checkout it) to silence this',
      })),
  );
}

/** rollback.database: down-migrations promises to undo every pending file with its rollback file. */
function rollbackFileProblems(pending: readonly Migration[]): Problem[] {
  return missingRollbacks(pending).map((m) => ({
    severity: 'error' as const,
    code: 'E_ROLLBACK_FILE_MISSING',
    file: m.path,
    message: `rollback.database is down-migrations but ${m.name} has no rollback file`,
    hint: `write ${m.path.replace(/[^/]+$/, '')}rollback/${m.name.replace(/\.sql$/, '.rollback.sql')}, or use rollback.database: auto or time-travel`,
  }));
}
