import { InvalidInputError } from '../../errors.js';
import type { CommandContext } from '../main.js';

/** The promotion machine lands with its own issue; until then say so plainly instead of half-running. */
export async function run({ values }: CommandContext): Promise<number> {
  throw new InvalidInputError(
    [],
    `promote --to ${String(values.to)} is not available yet in this version; apply migrations per environment with 'promote migrate --env <env>'`,
  );
}
