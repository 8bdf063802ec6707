/**
 * argv -> a command. Only this file and bin/ know about process-level concerns;
 * commands are imported lazily so `promote --help` never loads zod, yaml or
 * Miniflare.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { createOutput, type Output, type OutputStreams } from './output.js';
import { HELP, COMMAND_HELP } from './help.js';

export interface CommandContext {
  root: string;
  output: Output;
  env: NodeJS.ProcessEnv;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

type CommandModule = { run(ctx: CommandContext): Promise<number> };

const GLOBAL_OPTIONS = {
  cwd: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  'no-color': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const COMMANDS: Record<string, { options: ParseArgsConfig['options']; load: () => Promise<CommandModule> }> = {
  validate: { options: {}, load: () => import('./commands/validate.js') },
  plan: { options: { to: { type: 'string' } }, load: () => import('./commands/plan.js') },
  status: { options: { env: { type: 'string' } }, load: () => import('./commands/status.js') },
  migrate: {
    options: { env: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    load: () => import('./commands/migrate.js'),
  },
  new: {
    options: { rollback: { type: 'boolean' }, dir: { type: 'string' } },
    load: () => import('./commands/new.js'),
  },
  promote: {
    options: { to: { type: 'string' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } },
    load: () => import('./commands/promote.js'),
  },
};

export async function main(
  argv: readonly string[],
  streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const first = argv.find((a) => !a.startsWith('-'));
  const name = first !== undefined && first in COMMANDS && first !== 'promote' ? first : 'promote';
  const command = COMMANDS[name]!;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    streams.stderr.write(`promote: ${(e as Error).message}\nRun 'promote --help' for usage.\n`);
    return 2;
  }
  const positionals = parsed.positionals;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const output = createOutput({ json: Boolean(values.json), noColor: Boolean(values['no-color']) }, streams, env);
  if (values.version) {
    output.out(readVersion());
    return 0;
  }
  if (values.help) {
    output.out(name === 'promote' && !values.to ? HELP : (COMMAND_HELP[name] ?? HELP));
    return 0;
  }
  const rest = name === 'promote' ? positionals : positionals.slice(1);
  if (name === 'promote' && (rest.length > 0 || values.to === undefined)) {
    if (rest.length > 0) {
      output.err(`promote: unknown command '${rest[0]}'. Commands: ${Object.keys(COMMANDS).filter((c) => c !== 'promote').join(', ')}`);
      return 2;
    }
    output.out(HELP);
    return values.to === undefined && argv.length === 0 ? 0 : 2;
  }
  const root = resolve(String(values.cwd ?? '.'));
  const mod = await command.load();
  const { runCommand } = await import('./run-command.js');
  return runCommand(() => mod.run({ root, output, env, values, positionals: rest }), output);
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
