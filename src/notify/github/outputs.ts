/**
 * Step outputs (GITHUB_OUTPUT) a workflow can use after promote: result, run-id,
 * exit-code, runs (JSON), and per stage bookmark-<env>, worker-version-<env>, result-<env>.
 * Written in the `name<<DELIMITER` form, as actions/toolkit does, so no value can
 * inject another output.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { RunEvent } from '../../events/run-events.js';
import { recallRun } from '../run-memory.js';
import type { ReportEntry } from '../../runs/run-report.js';

/**
 * Pure: the outputs of a run from its events. `runs` (the report's entries: one per
 * environment, database and tenant, as atlas-action's `runs`) is one JSON value, so a
 * workflow whose environments are not dev/staging/production can read every result
 * with fromJSON().
 */
export function buildOutputs(events: readonly RunEvent[], runs?: readonly ReportEntry[]): Record<string, string> {
  const memory = recallRun(events);
  const outputs: Record<string, string> = {};
  if (memory.runId) outputs['run-id'] = memory.runId;
  const result = memory.summary?.result ?? (memory.interrupted ? 'interrupted' : undefined);
  if (result) outputs.result = result;
  if (memory.summary) outputs['exit-code'] = String(memory.summary.exitCode);
  for (const stage of memory.stages) {
    const key = outputKey(stage.environment);
    if (stage.result) outputs[`result-${key}`] = stage.result;
    if (stage.bookmark) outputs[`bookmark-${key}`] = stage.bookmark;
    if (stage.workerVersion) outputs[`worker-version-${key}`] = stage.workerVersion;
  }
  if (runs) outputs.runs = JSON.stringify(runs);
  return outputs;
}

/** Output names are used as `steps.<id>.outputs.<name>`: keep them to letters, digits, - and _. */
function outputKey(environment: string): string {
  return environment.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** `name<<DELIM\nvalue\nDELIM\n` per output; the delimiter is random and checked against the value. */
export function formatOutputs(outputs: Readonly<Record<string, string>>, newDelimiter: () => string = () => `ghadelimiter_${randomUUID()}`): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      let delimiter = newDelimiter();
      while (name.includes(delimiter) || value.includes(delimiter)) delimiter = newDelimiter();
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

export function appendOutputs(file: string, outputs: Readonly<Record<string, string>>): void {
  const text = formatOutputs(outputs);
  if (text !== '') appendFileSync(file, text, 'utf8');
}
