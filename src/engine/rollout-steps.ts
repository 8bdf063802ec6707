/**
 * A health-gated gradual rollout, run inside the machine's verify step.
 *
 * Why inside one step rather than one machine state per percentage: the steps
 * come from each environment's config, the machine's states stay the same for
 * every pipeline (persisted snapshots keep their shape), and a resumed run is
 * safe without the machine remembering where it was: the walk starts by reading
 * the split that really serves and carries on from that step, running its
 * checks (and soak) again. Progress leaves through `onStep`, which the runner
 * turns into `rollout.step` events for the journal and the sinks.
 */
import type { HealthCheck, Rollout } from '../config/schema.js';
import type { RolloutStep } from '../events/run-events.js';
import { runHealthChecks, type VerifyOptions } from '../verify/health-check.js';
import type { TrafficSplit, WorkerRollout } from '../targets/environment-handle.js';

export const VERSION_OVERRIDE_HEADER = 'Cloudflare-Workers-Version-Overrides';

/** The header that sends one request to one version of the current deployment (a Dictionary Structured Header). */
export function versionOverride(scriptName: string, versionId: string): Record<string, string> {
  return { [VERSION_OVERRIDE_HEADER]: `${scriptName}="${versionId}"` };
}

export interface StepSplit {
  percentage: number;
  newVersion: string;
  oldVersion?: string;
}

/** The step to (re)start from: the first whose percentage reaches what the new version serves now. */
export function resumeIndex(steps: readonly number[], split: TrafficSplit, newVersion: string): number {
  const share = split.versions.find((v) => v.id === newVersion)?.percentage;
  if (share === undefined) return 0;
  const i = steps.findIndex((p) => p >= share);
  return i < 0 ? steps.length - 1 : i;
}

/** True when the split serving now is exactly this step's. */
export function servesStep(split: TrafficSplit, step: StepSplit): boolean {
  const share = (id: string | undefined) => split.versions.find((v) => v.id === id)?.percentage ?? 0;
  const expectedOld = step.oldVersion && step.percentage < 100 ? 100 - step.percentage : 0;
  const known = split.versions.every((v) => v.id === step.newVersion || v.id === step.oldVersion);
  return known && share(step.newVersion) === step.percentage && share(step.oldVersion) === expectedOld && split.versions.some((v) => v.id === step.newVersion);
}

/**
 * The checks of one step. A check pinned with `version` gets the override header for that
 * version; at 0% the split never reaches the new version, so unpinned checks are pinned to it.
 * A check pinned to the old version is left out once the old version no longer serves. Every
 * check soaks at least as long as the rollout asks.
 */
export function checksForStep(checks: readonly HealthCheck[], rollout: Rollout, step: StepSplit, scriptName: string): HealthCheck[] {
  return checks.flatMap((c) => {
    const pin = c.version ?? (step.percentage === 0 ? 'new' : undefined);
    const oldServes = step.oldVersion !== undefined && step.percentage < 100;
    if (pin === 'old' && !oldServes) return [];
    const version = pin === 'new' ? step.newVersion : pin === 'old' ? step.oldVersion : undefined;
    return [{ ...c, soak: Math.max(c.soak, rollout.soak), headers: { ...c.headers, ...(version ? versionOverride(scriptName, version) : {}) } }];
  });
}

export interface WalkInput {
  rollout: Rollout;
  worker: WorkerRollout;
  checks: readonly HealthCheck[];
  baseUrl: string | undefined;
  runId: string;
  newVersion: string;
  oldVersion?: string;
  verify: VerifyOptions;
  onStep: (step: RolloutStep) => void;
  now?: () => number;
}

/** Walks the steps from where the real split stands; stops at the first step whose checks fail. */
export async function walkRollout(a: WalkInput): Promise<{ ok: boolean; steps: RolloutStep[] }> {
  const now = a.now ?? (() => performance.now());
  // Nothing served before this version: it already serves everything, one step at 100%.
  const percentages = a.oldVersion ? a.rollout.steps : [100];
  const steps: RolloutStep[] = [];
  let split = await a.worker.split(a.verify.signal);
  for (let i = resumeIndex(percentages, split, a.newVersion); i < percentages.length; i++) {
    const step: StepSplit = { percentage: percentages[i]!, newVersion: a.newVersion, ...(a.oldVersion ? { oldVersion: a.oldVersion } : {}) };
    if (!servesStep(split, step)) {
      await a.worker.deploySplit({ ...step, runId: a.runId }, a.verify.signal);
      split = await a.worker.split(a.verify.signal);
    }
    const started = now();
    const outcome = await runHealthChecks(checksForStep(a.checks, a.rollout, step, a.worker.scriptName), a.baseUrl, a.verify);
    const record: RolloutStep = { ...step, ok: outcome.ok, durationMs: Math.round(now() - started), checks: outcome.results };
    steps.push(record);
    try {
      a.onStep(record);
    } catch {
      // Reporting must never change the verdict.
    }
    if (!outcome.ok) return { ok: false, steps };
  }
  return { ok: true, steps };
}
