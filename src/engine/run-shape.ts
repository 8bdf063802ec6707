/**
 * What shapes a run besides the change itself: the pipeline (stages, bookmarks,
 * rollback policy) and each stage's environment config (target, databases,
 * Worker, health checks). A resumed run must run under the files it started
 * with, so each part is recorded as a digest and compared on resume, which
 * then names the parts that changed. Digests only: config values may hold
 * expanded `${VAR}` secrets, and a run record must not.
 */
import { createHash } from 'node:crypto';
import type { LoadedEnvironment, Project } from '../config/schema.js';

/** `"pipeline/pipeline.yaml: stages"` -> digest of that value. */
export type RunShape = Record<string, string>;

/** Where the run only reports (Slack, GitHub), a change cannot make it unsafe to resume. */
const REPORTING_ONLY = new Set(['notify']);

export function runShape(project: Project, stages: readonly LoadedEnvironment[]): RunShape {
  const shape: RunShape = {};
  const add = (file: string, value: object): void => {
    for (const [key, part] of Object.entries(value)) {
      if (!REPORTING_ONLY.has(key) && part !== undefined) shape[`${file}: ${key}`] = digest(part);
    }
  };
  add(project.pipelineFile, project.pipeline);
  for (const e of stages) add(e.file, e.config);
  return shape;
}

/** The parts that differ between two shapes, as `file: key` (added or removed parts too). */
export function changedParts(before: RunShape, now: RunShape): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(now)]);
  return [...keys].filter((k) => before[k] !== now[k]).sort();
}

function digest(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, so the digest does not depend on key order in the file. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
