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
import type { CommandContext } from './command-context.js';
import { COMMAND_OPTIONS, GLOBAL_OPTIONS, type CommandName } from './command-options.js';

export type { CommandContext } from './command-context.js';

// Each module's run() takes its own typed values (CommandContext<'migrate'>); here they are one parsed bag.
type CommandModule = { run(ctx: CommandContext<never>): Promise<number> };

const LOADERS: Record<CommandName, () => Promise<CommandModule>> = {
  validate: () => import('./commands/validate.js'),
  plan: () => import('./commands/plan.js'),
  status: () => import('./commands/status.js'),
  diff: () => import('./commands/diff.js'),
  migrate: () => import('./commands/migrate.js'),
  baseline: () => import('./commands/baseline.js'),
  new: () => import('./commands/new.js'),
  promote: () => import('./commands/promote.js'),
  resume: () => import('./commands/resume.js'),
  rollback: () => import('./commands/rollback.js'),
  serve: () => import('./commands/serve.js'),
  graph: () => import('./commands/graph.js'),
  repair: () => import('./commands/repair.js'),
  backup: () => import('./commands/backup.js'),
  init: () => import('./commands/init.js'),
  report: () => import('./commands/report.js'),
  ui: () => import('./commands/ui.js'),
};

const COMMANDS: Record<string, { options: ParseArgsConfig['options']; load: () => Promise<CommandModule> }> = Object.fromEntries(
  (Object.keys(COMMAND_OPTIONS) as CommandName[]).map((name) => [name, { options: COMMAND_OPTIONS[name], load: LOADERS[name] }]),
);

export async function main(
  argv: readonly string[],
  streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  // Parse once with every option known, so global options may stand before the
  // command and option values are never mistaken for it; then check what the
  // command accepts.
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: ALL_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const { describeArgvError } = await import('./argv-errors.js');
    streams.stderr.write(`promote: ${describeArgvError(e as Error, Object.keys(ALL_OPTIONS))}\nRun 'promote --help' for usage.\n`);
    return 2;
  }
  const [command0] = parsed.positionals;
  const values = singleValues(parsed.values, COMMANDS[command0 ?? 'promote']?.options) as Record<string, string | boolean | undefined>;
  const output = createOutput({ json: Boolean(values.json), noColor: Boolean(values['no-color']) }, streams, env);
  const [first, ...rest] = parsed.positionals;
  if (first !== undefined && (!(first in COMMANDS) || first === 'promote')) {
    const near = closestCommand(first);
    output.err(`promote: unknown command '${first}'${near ? ` (did you mean '${near}'?)` : ''}. Run 'promote --help' for usage.`);
    return 2;
  }
  const name = first ?? 'promote';
  const command = COMMANDS[name]!;
  const allowed = new Set([...Object.keys(GLOBAL_OPTIONS), ...Object.keys(command.options ?? {})]);
  const misplaced = Object.keys(values).filter((k) => !allowed.has(k));
  if (misplaced.length > 0 && !values.help) {
    output.err(`promote: ${first ?? 'promote --to'} does not take --${misplaced.join(', --')}. Run 'promote ${first ?? ''} --help'.`.replace('  ', ' '));
    return 2;
  }
  if (values.version) {
    output.out(readVersion());
    return 0;
  }
  if (values.help || (name === 'promote' && values.to === undefined)) {
    output.out(name === 'promote' ? HELP : (COMMAND_HELP[name] ?? HELP));
    // bare `promote` is a request for help; `promote --dry-run` without --to is a mistake
    return values.help || argv.length === 0 ? 0 : 2;
  }
  const root = resolve(String(values.cwd ?? '.'));
  // What the tools promote runs create for it (Miniflare's D1 files under .promote/envs/, wrangler's
  // .wrangler/) is for the owner only, like promote's own files (private-files.ts). Not for `new`,
  // which writes the repository's own migration files.
  if (name !== 'new') process.umask(0o077);
  const mod = await command.load();
  const { runCommand } = await import('./run-command.js');
  const { readSettings } = await import('./settings.js');
  // parseArgs checked the values against the command's declared options above: they are its CommandValues.
  return runCommand(() => mod.run({ root, output, env, settings: readSettings(env), values: values as never, positionals: rest }), output);
}

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string];

/** Every option of every command; one that any command repeats (diff's --env) is parsed as a list, see singleValues. */
const ALL_OPTIONS: NonNullable<ParseArgsConfig['options']> = Object.assign(
  {},
  GLOBAL_OPTIONS,
  ...Object.values(COMMANDS).map((c) => c.options ?? {}),
);
for (const c of Object.values(COMMANDS)) {
  for (const [key, spec] of Object.entries(c.options ?? {}) as [string, OptionSpec][]) if (spec.multiple) ALL_OPTIONS[key] = { ...ALL_OPTIONS[key]!, multiple: true };
}

/** A command that takes an option once gets its last value, as parseArgs gives a single option. */
function singleValues(values: Record<string, unknown>, options: ParseArgsConfig['options']): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const [key, value] of Object.entries(values)) {
    const declared = (options as Record<string, OptionSpec> | undefined)?.[key] ?? (GLOBAL_OPTIONS as Record<string, OptionSpec>)[key];
    if (Array.isArray(value) && !declared?.multiple) out[key] = value.at(-1);
  }
  return out;
}

function closestCommand(word: string): string | undefined {
  const names = Object.keys(COMMANDS).filter((c) => c !== 'promote');
  return names.find((c) => c.startsWith(word.slice(0, 3)) && Math.abs(c.length - word.length) <= 2);
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
