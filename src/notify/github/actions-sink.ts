/**
 * What a run prints for GitHub Actions besides the plain log: secrets masked
 * before anything else, a collapsible group per stage, error annotations for
 * failures, and at the end the step summary and step outputs.
 *
 * Put this sink before the terminal sink in the fan-out: it opens a stage's group
 * before the stage's first line is printed and closes it only when the next stage
 * (or the summary) arrives, so each stage's lines, its "finished" line included,
 * fall inside its group.
 */
import type { RunEvent, RunSink } from '../../events/run-events.js';
import type { Problem } from '../../problems.js';
import { describeFailure, describeLostWrites, oneLine } from '../describe.js';
import { redactEvent } from '../redact.js';
import { redactPayload } from '../redact-payload.js';
import type { RunContext } from '../run-context.js';
import type { ReportEntry } from '../../runs/run-report.js';
import { appendOutputs, buildOutputs } from './outputs.js';
import { appendStepSummary, buildStepSummary } from './step-summary.js';
import { addMaskCommands, endGroupCommand, errorCommand, groupCommand, warningCommand } from './workflow-commands.js';

type Write = (line: string) => void;

/** `::add-mask::` for every secret; call before the first line that could show one. */
export function maskSecrets(secrets: readonly string[], write: Write): void {
  for (const secret of new Set(secrets)) {
    for (const line of addMaskCommands(secret)) write(line);
  }
}

/** `::error file=…,line=…::` (or ::warning) per problem, so they show on the pull request's diff. */
export function annotateProblems(problems: readonly Problem[], write: Write, redact: (text: string) => string = (t) => t): void {
  for (const p of problems) {
    const message = redact(p.hint ? `${p.code}: ${p.message}\nfix: ${p.hint}` : `${p.code}: ${p.message}`);
    const props = { file: redact(p.file), ...(p.line !== undefined ? { line: p.line } : {}), title: redact(p.code) };
    write(p.severity === 'error' ? errorCommand(message, props) : warningCommand(message, props));
  }
}

export interface ActionsSinkOptions {
  /** Prints one line to stdout, where the runner reads workflow commands. */
  write: Write;
  context: RunContext;
  redact: (text: string) => string;
  /** Masked as soon as the sink is created. */
  secrets?: readonly string[];
  /** GITHUB_STEP_SUMMARY */
  summaryFile?: string;
  /** GITHUB_OUTPUT */
  outputFile?: string;
  onWarning: (message: string) => void;
  /** The `runs` output: one entry per environment, database and tenant (runs/run-report.ts). */
  runs?: (events: readonly RunEvent[]) => readonly ReportEntry[];
}

export function createActionsSink(options: ActionsSinkOptions): RunSink {
  const { redact } = options;
  const write = (line: string): void => options.write(redact(line));
  maskSecrets(options.secrets ?? [], options.write);
  const context = redactPayload(options.context, redact);
  const events: RunEvent[] = [];
  let openGroup: string | undefined;

  const closeGroup = (): void => {
    if (openGroup === undefined) return;
    write(endGroupCommand());
    openGroup = undefined;
  };

  const enterStage = (stage: string): void => {
    if (openGroup === stage) return;
    closeGroup();
    write(groupCommand(stage));
    openGroup = stage;
  };

  const finishRun = (): void => {
    const writeFile = (what: string, action: () => void): void => {
      try {
        action();
      } catch (error) {
        options.onWarning(redact(`GitHub ${what} not written: ${(error as Error)?.message ?? String(error)}`));
      }
    };
    if (options.summaryFile) {
      const file = options.summaryFile;
      writeFile('step summary', () => appendStepSummary(file, redact(buildStepSummary(events, context))));
    }
    if (options.outputFile) {
      const file = options.outputFile;
      writeFile('step outputs', () => appendOutputs(file, redactPayload(buildOutputs(events, options.runs?.(events)), redact)));
    }
  };

  return {
    write(raw) {
      const event = redactEvent(raw, redact);
      events.push(event);
      switch (event.type) {
        case 'step.started':
        case 'step.succeeded':
        case 'stage.finished':
          enterStage(event.stage);
          // A warning annotation per finding the run went on with (schema drift under schemaDrift: warn).
          if (event.type === 'step.succeeded') for (const w of event.detail?.warnings ?? []) write(warningCommand(w, { title: `${event.stage}: ${event.step} warning` }));
          if (event.type === 'step.succeeded' && event.step === 'rollback' && event.detail?.lostWritesWindowMs !== undefined) {
            write(warningCommand(describeLostWrites(event.detail.bookmark, event.detail.lostWritesWindowMs), { title: `${event.stage} rolled back` }));
          }
          return;
        case 'step.failed':
          enterStage(event.stage);
          write(errorCommand(describeFailure(event.step, event.error, event.detail).join('\n'), { title: `${event.stage}: ${event.step} failed` }));
          return;
        case 'run.interrupted':
          closeGroup();
          return;
        case 'summary':
          closeGroup();
          if (event.action) write(errorCommand(oneLine(event.action), { title: 'promote: action required' }));
          finishRun();
          return;
        case 'run.started':
          return;
      }
    },
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** The Actions sink when running in GitHub Actions (GITHUB_ACTIONS=true), else undefined. */
export function createActionsSinkFromEnv(env: Env, options: Omit<ActionsSinkOptions, 'summaryFile' | 'outputFile'>): RunSink | undefined {
  if (env.GITHUB_ACTIONS !== 'true') return undefined;
  return createActionsSink({
    ...options,
    ...(env.GITHUB_STEP_SUMMARY ? { summaryFile: env.GITHUB_STEP_SUMMARY } : {}),
    ...(env.GITHUB_OUTPUT ? { outputFile: env.GITHUB_OUTPUT } : {}),
  });
}
