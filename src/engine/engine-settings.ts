/**
 * What the engine needs from the process environment, already parsed: the CLI
 * reads process.env once (src/cli/settings.ts) and passes this down, so no
 * module below src/cli/ reads the environment or threads it through layers.
 */
import type { CloudflareSettings } from '../targets/cloudflare/cloudflare-api.js';

export interface EngineSettings {
  /** Masks every secret value known to this run; one redactor per run. */
  redact: (text: string) => string;
  /** Who holds leases and lock files: user@host pid N (and the CI run). */
  owner: string;
  cloudflare: CloudflareSettings;
}
