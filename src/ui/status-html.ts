/** `promote status --html <file>`: the dashboard's matrix as one self-contained file. */
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Workspace } from '../engine/load-workspace.js';
import type { ObservedEnvironment } from '../engine/observe.js';
import { buildDashboard } from './dashboard-model.js';
import { RunViewCache } from './run-cache.js';
import { renderStatusHtml } from './render-page.js';

/** Writes the file (relative paths against `cwd`) and returns its absolute path. */
export function writeStatusHtml(ws: Workspace, observed: readonly ObservedEnvironment[], file: string, cwd: string): string {
  const model = buildDashboard({
    pipeline: ws.project.pipeline.name,
    project: basename(ws.project.root),
    stages: ws.project.pipeline.stages.map((s) => s.environment),
    readings: observed.map((o) => ({ name: o.env.name, target: o.env.config.target, databases: o.databases, checks: [] })),
    runs: new RunViewCache(ws.project.root).views(20),
    warnings: ws.warnings,
    now: Date.now(),
  });
  const path = resolve(cwd, file);
  writeFileSync(path, renderStatusHtml(model));
  return path;
}
