/**
 * Output mode is decided once from flags and the environment and passed down;
 * nothing reads process.stdout.isTTY deep in the code.
 */
import { formatProblem, type Problem } from '../problems.js';

export interface Output {
  json: boolean;
  color: boolean;
  interactive: boolean;
  out(text: string): void;
  err(text: string): void;
}

export interface OutputStreams {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

export function createOutput(opts: { json: boolean; noColor: boolean }, streams: OutputStreams, env: NodeJS.ProcessEnv): Output {
  const interactive = Boolean(streams.stdout.isTTY) && !env.CI;
  const color = interactive && !opts.noColor && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return {
    json: opts.json,
    color,
    interactive,
    out: (text) => void streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void streams.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function paint(o: Pick<Output, 'color'>, style: Style, text: string): string {
  return o.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

export function printProblems(o: Output, problems: readonly Problem[]): void {
  for (const p of problems) {
    const text = formatProblem(p);
    o.err(p.severity === 'error' ? paint(o, 'red', text) : paint(o, 'yellow', text));
  }
}
