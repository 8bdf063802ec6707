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
  if (runs) Object.assign(outputs, runsOutputs(runs));
  return outputs;
}

/** GitHub refuses an output over 1 MB; a fleet of ten thousand tenants comes close. */
export const MAX_RUNS_OUTPUT = 900_000;

/**
 * The entries as JSON and whether that is all of them. Over the cap, only those that did
 * not apply or stay unchanged (what a workflow acts on), or none when even those are too
 * many: the report file (--report) has every entry, without such a limit.
 */
function runsOutputs(runs: readonly ReportEntry[]): { runs: string; 'runs-complete': string } {
  const all = JSON.stringify(runs);
  if (all.length <= MAX_RUNS_OUTPUT) return { runs: all, 'runs-complete': 'true' };
  const notOk = JSON.stringify(runs.filter((r) => r.result !== 'applied' && r.result !== 'unchanged'));
  return { runs: notOk.length <= MAX_RUNS_OUTPUT ? notOk : '[]', 'runs-complete': 'false' };
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
