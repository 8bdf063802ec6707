import { Duration } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';

/**
 * "30s", "2m", "500ms", as in the config files. A bare number is refused: on
 * the command line `--wait 5` reads as five seconds to a person and meant five
 * milliseconds here, so the unit is always written.
 */
export function parseDuration(text: string, flag: string): number {
  if (/^\d+(\.\d+)?$/.test(text.trim())) {
    throw new InvalidInputError([], `${flag} ${text}: give a unit, e.g. ${text.trim()}s for seconds (or ${text.trim()}ms, ${text.trim()}m)`);
  }
  const parsed = Duration.safeParse(text);
  if (!parsed.success) throw new InvalidInputError([], `${flag} ${text}: expected a duration like 500ms, 30s or 2m`);
  return parsed.data;
}
