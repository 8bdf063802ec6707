/** What every command receives from main(): kept apart from main.ts so commands never import it (main imports them). */
import type { Output } from './output.js';
import type { Settings } from './settings.js';

export interface CommandContext {
  root: string;
  output: Output;
  /** The raw environment: only for `${VAR}` expansion and the CI context (see settings). */
  env: NodeJS.ProcessEnv;
  /** The environment read once: redactor, lease owner, cloudflare credentials. */
  settings: Settings;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}
