/**
 * Every command's options, declared once: main() parses argv with them (and
 * refuses an option the command does not take), and each command receives its
 * own values typed from the same declaration (`CommandContext<'migrate'>`).
 * Plain data, so `promote --help` loads nothing else.
 */
import type { ParseArgsConfig } from 'node:util';

export const GLOBAL_OPTIONS = {
  cwd: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  'no-color': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export const COMMAND_OPTIONS = {
  validate: {},
  plan: { to: { type: 'string' }, comment: { type: 'boolean' } },
  status: { env: { type: 'string' }, html: { type: 'string' }, 'no-schema': { type: 'boolean' } },
  diff: { env: { type: 'string', multiple: true } },
  migrate: { env: { type: 'string' }, to: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  baseline: { env: { type: 'string' }, database: { type: 'string' }, through: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  new: { rollback: { type: 'boolean' }, dir: { type: 'string' }, revert: { type: 'string' } },
  promote: {
    to: { type: 'string' },
    'dry-run': { type: 'boolean' },
    wait: { type: 'string' },
    'lock-ttl': { type: 'string' },
    shard: { type: 'string' },
    report: { type: 'string' },
  },
  resume: { run: { type: 'string' }, wait: { type: 'string' }, 'lock-ttl': { type: 'string' } },
  rollback: { env: { type: 'string' }, to: { type: 'string' }, bookmark: { type: 'string' }, 'lock-ttl': { type: 'string' } },
  serve: { env: { type: 'string' }, port: { type: 'string' } },
  graph: { to: { type: 'string' } },
  repair: {
    env: { type: 'string' },
    all: { type: 'boolean' },
    'accept-checksum': { type: 'string', multiple: true },
    retire: { type: 'string' },
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'lock-ttl': { type: 'string' },
  },
  backup: { env: { type: 'string' }, database: { type: 'string' }, out: { type: 'string' } },
  init: {},
  report: { merge: { type: 'boolean' } },
  ui: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } },
} as const satisfies Record<string, NonNullable<ParseArgsConfig['options']>>;

export type CommandName = keyof typeof COMMAND_OPTIONS;

type ValueOf<O> = O extends { type: 'string'; multiple: true } ? string[] : O extends { type: 'string' } ? string : boolean;

/** What parseArgs gives for these options: each one absent or of its declared type. */
export type OptionValues<O> = { -readonly [K in keyof O]?: ValueOf<O[K]> };

/** A command's values: the global options and its own. */
export type CommandValues<N extends CommandName> = OptionValues<typeof GLOBAL_OPTIONS> & OptionValues<(typeof COMMAND_OPTIONS)[N]>;
