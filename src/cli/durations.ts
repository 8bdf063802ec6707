import { Duration } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';

/** "30s", "2m", "500ms" or plain milliseconds, as in the config files. */
export function parseDuration(text: string, flag: string): number {
  const parsed = Duration.safeParse(/^\d+$/.test(text) ? Number(text) : text);
  if (!parsed.success) throw new InvalidInputError([], `${flag} ${text}: expected a duration like 500ms, 30s or 2m`);
  return parsed.data;
}
