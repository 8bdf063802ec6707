/** parseArgs' own errors, said the way promote says the rest: the option as typed, and the nearest one it knows. */
import { didYouMean } from '../config/did-you-mean.js';

export function describeArgvError(e: Error & { code?: string }, known: readonly string[]): string {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const typed = /'(-{1,2}[^']*)'/.exec(e.message)?.[1] ?? '';
    const name = typed.replace(/^-+/, '').split('=')[0] ?? '';
    const near = didYouMean(name, known);
    return `unknown option ${typed}${near ? ` (did you mean --${near}?)` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(--[^ ']+)/.exec(e.message)?.[1];
    if (option && /argument missing/.test(e.message)) return `${option} needs a value`;
  }
  return e.message;
}
