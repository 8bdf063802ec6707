/** Turns what a command throws into output and an exit code: the only place that does. */
import { InvalidInputError, PromoteError, ExitCode } from '../errors.js';
import { paint, printProblems, type Output } from './output.js';

export async function runCommand(fn: () => Promise<number>, output: Output): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof InvalidInputError) {
      printProblems(output, e.problems);
      output.err(paint(output, 'red', `promote: ${e.message}`));
      if (output.json) output.out(JSON.stringify({ type: 'error', exitCode: e.exitCode, problems: e.problems }));
      return e.exitCode;
    }
    if (e instanceof PromoteError) {
      output.err(paint(output, 'red', `promote: ${e.message}`));
      if (e.hint) output.err(`    fix: ${e.hint}`);
      if (output.json) output.out(JSON.stringify({ type: 'error', exitCode: e.exitCode, message: e.message, hint: e.hint }));
      return e.exitCode;
    }
    const err = e as Error;
    output.err(`promote: internal error: ${err?.stack ?? String(e)}`);
    output.err('    this is a bug in promote: please report it with the command you ran');
    return ExitCode.failed;
  }
}
