/**
 * The terminal view: every stage with its steps, a spinner on the running step, and
 * the evidence of a failed check right under it. The frame is redrawn in place by
 * moving the cursor up over the previous one, so its lines are wrapped to the
 * terminal's width here (measured in terminal columns, wide and emoji characters
 * counting two) rather than by the terminal, which would break the row count; and it
 * is cut to the terminal's height (rows scrolled off cannot be reached again). The state is built from whatever events arrive, in any order: a
 * resumed run may start mid-pipeline, without the earlier steps' events.
 */
import wrapAnsi from 'wrap-ansi';
import { asFleetEvent, renderProgressBar, trackFleet, type FleetProgress } from './fleet-progress.js';
import { paint, type Output, type Style } from './terminal-output.js';
import type { RunEvent, RunSink, StageResult, StepName } from '../events/run-events.js';
import { describeDetail, describeFailure, describeRolloutStep, describeRunResult, describeStageBackups, describeStageFleets, describeStageLosses, describeStageWarnings, describeStages, formatDuration, oneLine } from './describe.js';

export interface LiveStream {
  write(s: string): unknown;
  columns?: number;
  rows?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const STEP_COLUMN = 9;
const DEFAULT_COLUMNS = 80;
const DEFAULT_ROWS = 24;
/** Failed tenants named under a fleet's bar; the summary and the report name them all. */
const FAILED_NAMED = 5;

type StepStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';
interface StepState {
  name: StepName;
  status: StepStatus;
  startedAt: number;
  durationMs?: number;
  text: string;
  evidence: string[];
}
interface StageState {
  name: string;
  steps: StepState[];
  result?: StageResult;
  durationMs?: number;
}
/** A piece of a line and its style; kept apart so a line can be cut by visible width before painting. */
type Part = [Style | undefined, string];

export function createLiveSink(output: Output, opts: { frameMs?: number; stream?: LiveStream } = {}): RunSink {
  // The live view only makes sense on the terminal itself; tests and callers pass their own stream.
  const stream: LiveStream = opts.stream ?? process.stdout;
  const frameMs = opts.frameMs ?? 80;
  const stages = new Map<string, StageState>();
  let header: Part[] = [];
  let interrupted: string | undefined;
  let tick = 0;
  let drawnLines = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let finished = false;
  // Each fleet's progress, drawn as one bar line under its stage's steps.
  const fleets = new Map<string, FleetProgress>();

  const stageOf = (name: string): StageState => {
    let stage = stages.get(name);
    if (!stage) stages.set(name, (stage = { name, steps: [] }));
    return stage;
  };
  const stepOf = (stage: string, name: StepName): StepState => {
    const steps = stageOf(stage).steps;
    let step = steps.find((s) => s.name === name);
    if (!step) steps.push((step = { name, status: 'running', startedAt: Date.now(), text: '', evidence: [] }));
    return step;
  };

  const apply = (event: RunEvent): void => {
    if (header.length === 0) header = [[undefined, 'promote'], ['dim', `  run ${event.runId}`]];
    const fleetEvent = asFleetEvent(event);
    if (fleetEvent) {
      // Wall time, as the spinner's: the rate and ETA move between events too.
      trackFleet(fleets, fleetEvent, Date.now());
      stageOf(fleetEvent.environment);
      return;
    }
    switch (event.type) {
      case 'run.started': {
        header = [
          ['bold', `promote ${event.pipeline} → ${event.to}`],
          ['dim', `  run ${event.runId}`],
          ['yellow', event.dryRun ? '  dry run' : ''],
          ['dim', event.resumed ? '  resumed' : ''],
        ];
        // The planned order wins over the order events happened to arrive in.
        const known = new Map(stages);
        stages.clear();
        for (const name of event.stages) stages.set(name, known.get(name) ?? { name, steps: [] });
        for (const [name, stage] of known) if (!stages.has(name)) stages.set(name, stage);
        return;
      }
      case 'step.started':
        Object.assign(stepOf(event.stage, event.step), { status: 'running', startedAt: Date.now(), text: '', evidence: [] });
        return;
      case 'step.succeeded':
        Object.assign(stepOf(event.stage, event.step), {
          status: 'succeeded',
          durationMs: event.durationMs,
          text: describeDetail(event.step, event.detail),
          evidence: [],
        });
        return;
      case 'step.failed':
        Object.assign(stepOf(event.stage, event.step), {
          status: 'failed',
          durationMs: event.durationMs,
          text: '',
          evidence: describeFailure(event.step, event.error, event.detail),
        });
        return;
      case 'stage.finished':
        Object.assign(stageOf(event.stage), { result: event.result, durationMs: event.durationMs });
        return;
      case 'rollout.step': {
        // The verify line says where the rollout is while its checks run.
        const verify = stepOf(event.stage, 'verify');
        verify.text = `rollout at ${event.step.percentage}%: ${describeRolloutStep(event.step)}`;
        return;
      }
      case 'run.interrupted':
        interrupted = oneLine(event.message);
        if (event.stage && event.step) stepOf(event.stage, event.step).status = 'interrupted';
        return;
      case 'summary':
        return;
    }
  };

  const stepLine = (step: StepState): Part[] => {
    const name = step.name.padEnd(STEP_COLUMN);
    const took = step.durationMs === undefined ? '' : formatDuration(step.durationMs);
    switch (step.status) {
      case 'running':
        return finished
          ? [['dim', `    … ${name} stopped`]]
          : [['blue', `    ${SPINNER[tick % SPINNER.length]} `], [undefined, `${name} `], ['dim', formatDuration(Date.now() - step.startedAt)]];
      case 'succeeded':
        return [['green', '    ✓ '], [undefined, `${name} ${step.text ? `${step.text} ` : ''}`], ['dim', took]];
      case 'failed':
        return [['red', '    ✗ '], [undefined, `${name} `], ['dim', took]];
      case 'interrupted':
        return [['yellow', '    ! '], [undefined, `${name} interrupted`]];
    }
  };

  const stageLine = (stage: StageState): Part[] => {
    const took = stage.durationMs === undefined ? '' : `  ${formatDuration(stage.durationMs)}`;
    const marks: Record<StageResult, [Style, string]> = {
      promoted: ['green', '✓'],
      'rolled-back': ['yellow', '↺'],
      failed: ['red', '✗'],
      skipped: ['dim', '-'],
    };
    if (stage.result) {
      const [style, mark] = marks[stage.result];
      return [[style, `  ${mark} `], ['bold', stage.name], [style, `  ${stage.result}`], ['dim', took]];
    }
    if (stage.steps.length === 0) return [['dim', `  · ${stage.name}  pending`]];
    return [['blue', '  ▸ '], ['bold', stage.name]];
  };

  const frame = (): string[] => {
    const columns = Math.max(20, stream.columns ?? DEFAULT_COLUMNS);
    // One row stays free: the cursor sits on it after the frame's last newline.
    const maxLines = Math.max(3, (stream.rows ?? DEFAULT_ROWS) - 1);
    const body = (collapseFinished: boolean): Part[][] =>
      [...stages.values()].flatMap((stage) => {
        if (collapseFinished && stage.result) return [stageLine(stage)];
        return [
          stageLine(stage),
          ...stage.steps.flatMap((step) => [stepLine(step), ...step.evidence.map((e): Part[] => [['red', `        ${e}`]])]),
          ...fleetLines(stage.name, columns - 1),
        ];
      });
    const tail: Part[][] = interrupted ? [[['yellow', `  ! interrupted: ${interrupted}`]]] : [];
    const width = columns - 1;
    const rows = (lines: Part[][]): string[] => lines.flatMap((parts) => render(parts, width));
    const top = render(header, width);
    const room = Math.max(2, maxLines - top.length);
    let lines = rows([...body(false), ...tail]);
    if (lines.length > room) lines = rows([...body(true), ...tail]);
    if (lines.length > room) {
      const keep = room - 1;
      lines = [paint(output, 'dim', `  … ${lines.length - keep} more lines above`), ...lines.slice(lines.length - keep)];
    }
    return [...top, ...lines];
  };

  /** A stage's fleets: the bar (never wider than the row, so it never wraps), then a few failed tenants by name. */
  const fleetLines = (stage: string, width: number): Part[][] =>
    [...fleets.values()]
      .filter((f) => f.environment === stage)
      .flatMap((f) => {
        const failed = [...f.status].filter(([, status]) => status === 'failed' || status === 'rolled-back').map(([tenant]) => tenant);
        const bar: Part[] = [[f.failed > 0 ? 'red' : f.endedAt !== undefined ? 'green' : 'blue', `      ${renderProgressBar(f, Date.now(), width - 6)}`]];
        if (failed.length === 0) return [bar];
        const named = failed.slice(0, FAILED_NAMED).join(', ') + (failed.length > FAILED_NAMED ? ` and ${failed.length - FAILED_NAMED} more` : '');
        return [bar, [['red', `        failed: ${named}`]]];
      });

  /** One line as terminal rows no wider than `width`: continuation rows indented under the text. */
  const render = (parts: Part[], width: number): string[] => {
    const text = parts.map(([style, raw]) => (style && raw ? paint(output, style, raw) : raw)).join('');
    const [first = '', ...rest] = wrapAnsi(text, width, { hard: true, trim: false }).split('\n');
    if (rest.length === 0) return [first];
    const indent = ' '.repeat(Math.min(8, Math.max(0, width - 20)));
    const more = wrapAnsi(rest.join(' ').trimStart(), width - indent.length, { hard: true }).split('\n');
    return [first, ...more.map((r) => `${indent}${r}`)];
  };

  const draw = (): void => {
    const lines = frame();
    let text = drawnLines > 0 ? `\u001b[${drawnLines}A` : '';
    for (const line of lines) text += `\u001b[2K${line}\n`;
    // A collapsed frame can be shorter than the last one: clear what is left below it.
    if (lines.length < drawnLines) text += '\u001b[J';
    stream.write(text);
    drawnLines = lines.length;
  };

  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  const startTimer = (): void => {
    if (timer !== undefined || finished) return;
    timer = setInterval(() => {
      tick += 1;
      const running =
        [...stages.values()].some((s) => s.steps.some((step) => step.status === 'running')) || [...fleets.values()].some((f) => f.endedAt === undefined);
      if (running) draw();
    }, frameMs);
    // The spinner must never keep the process alive after the promotion is done.
    timer.unref();
  };

  const finish = (): void => {
    finished = true;
    stop();
  };

  return {
    write(event) {
      if (finished) return;
      apply(event);
      if (event.type !== 'summary') {
        // Thousands of tenant events: the timer's next frame shows them, a frame per event would flood the terminal.
        if (event.type !== 'tenant' || timer === undefined) draw();
        startTimer();
        return;
      }
      finish();
      draw();
      const style: Style = event.result === 'promoted' ? 'green' : event.result === 'failed' ? 'red' : 'yellow';
      const block = [
        '',
        `${paint(output, style, paint(output, 'bold', describeRunResult(event)))}  ${describeStages(event.stages)}  ${paint(output, 'dim', `exit ${event.exitCode} · ${formatDuration(event.durationMs)}`)}`,
        ...describeStageLosses(event.stages).map((l) => `  ${paint(output, 'yellow', l)}`),
        ...describeStageBackups(event.stages).map((l) => `  ${l}`),
        ...describeStageWarnings(event.stages).map((l) => `  ${paint(output, 'yellow', l)}`),
        ...describeStageFleets(event.stages).map((l) => `  ${l}`),
        ...(event.message ? [`  ${oneLine(event.message)}`] : []),
        ...(event.action ? [`  ${paint(output, 'bold', 'action:')} ${oneLine(event.action)}`] : []),
      ];
      stream.write(`${block.join('\n')}\n`);
    },
    close() {
      if (finished) return;
      finish();
      if (drawnLines > 0) draw();
    },
  };
}
