/**
 * In GitHub Actions, `::add-mask::` for every secret before promote prints any other line:
 * the runner then hides the value in the job log even where promote's own redaction could
 * not see it (a tool's output, a value spelled another way). Outside Actions, nothing.
 */
import { maskSecrets } from '../notify/github/actions-sink.js';
import type { Output } from './output.js';

/** The secrets it masked (none outside Actions), so the Actions sink does not mask them twice. */
export function maskSecretsInActions(output: Output, env: NodeJS.ProcessEnv, secrets: readonly string[]): string[] {
  if (env.GITHUB_ACTIONS !== 'true') return [];
  // With --json, stdout carries JSON lines only; the runner reads workflow commands from stderr too.
  maskSecrets(secrets, (line) => (output.json ? output.err(line) : output.out(line)));
  return [...new Set(secrets)];
}
