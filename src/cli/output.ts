/**
 * Output mode is decided once from flags and the environment and passed down;
 * nothing reads process.stdout.isTTY deep in the code.
 */
import { formatProblem, type Problem } from '../problems.js';
import { paint, type Output } from '../notify/terminal-output.js';

export { paint, type Output, type Style } from '../notify/terminal-output.js';

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


export function printProblems(o: Output, problems: readonly Problem[]): void {
  for (const p of problems) {
    const text = formatProblem(p);
    o.err(p.severity === 'error' ? paint(o, 'red', text) : paint(o, 'yellow', text));
  }
}
