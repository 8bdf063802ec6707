/** What every command receives from main(): kept apart from main.ts so commands never import it (main imports them). */
import type { CommandName, CommandValues } from './command-options.js';
import type { Output } from './output.js';
import type { Settings } from './settings.js';

export interface CommandContext<N extends CommandName = CommandName> {
  root: string;
  output: Output;
  /** The raw environment: only for `${VAR}` expansion and the CI context (see settings). */
  env: NodeJS.ProcessEnv;
  /** The environment read once: redactor, lease owner, cloudflare credentials. */
  settings: Settings;
  /** This command's options, typed from their declaration in command-options.ts. */
  values: CommandValues<N>;
  positionals: string[];
}
