/** Everything one page shows, assembled from what was read (pure). */
import type { Problem } from '../problems.js';
import { buildMatrix, type EnvironmentReading, type MatrixTable } from './matrix-model.js';
import { deployedFromRuns, type DeployedFromRuns, type RunView } from './run-model.js';

export interface EnvironmentView {
  name: string;
  target: string;
  unavailable?: string;
  deployed: DeployedFromRuns;
  /** Worker versions read from the environment itself (local deployments.json), when available. */
  serving?: { current?: string; previous?: string };
  checks: { name: string; url: string }[];
}

export interface DashboardModel {
  pipeline: string;
  project: string;
  generatedAt: string;
  stages: string[];
  environments: EnvironmentView[];
  matrix: MatrixTable[];
  runs: RunView[];
  live?: RunView;
  warnings: Problem[];
}

export interface DashboardInput {
  pipeline: string;
  project: string;
  stages: string[];
  readings: (EnvironmentReading & { checks: { name: string; url: string }[]; serving?: { current?: string; previous?: string } })[];
  /** Newest first. */
  runs: readonly RunView[];
  warnings: Problem[];
  now: number;
}

export function buildDashboard(input: DashboardInput): DashboardModel {
  const runs = [...input.runs];
  const environments = input.readings.map((r) => ({
    name: r.name,
    target: r.target,
    ...(r.unavailable ? { unavailable: r.unavailable } : {}),
    deployed: deployedFromRuns(runs, r.name),
    ...(r.serving ? { serving: r.serving } : {}),
    checks: r.checks,
  }));
  const live = liveRun(runs);
  return {
    pipeline: input.pipeline,
    project: input.project,
    generatedAt: new Date(input.now).toISOString(),
    stages: input.stages,
    environments,
    matrix: buildMatrix(input.readings),
    runs,
    ...(live ? { live } : {}),
    warnings: input.warnings,
  };
}

/** The newest run still running, else the newest run (so the panel shows how the last one ended). */
export function liveRun(runs: readonly RunView[]): RunView | undefined {
  return runs.find((r) => r.result === 'running');
}
