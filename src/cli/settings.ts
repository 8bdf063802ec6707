/**
 * The process environment, read once. main() turns it into these typed
 * settings; every layer below the CLI gets what it needs from here (the
 * redactor, the lease owner, the cloudflare credentials) and never reads
 * process.env itself.
 */
import type { EngineSettings } from '../engine/engine-settings.js';
import { describeOwner } from '../events/run-owner.js';
import { secretsFrom } from '../notify/secrets.js';
import { cloudflareSettingsFromEnv } from '../targets/cloudflare/cloudflare-api.js';
import { withoutShield } from './child-shield.js';

export interface Settings extends EngineSettings {
  /** The variables `${VAR}` in config files may expand, and that GitHub and Slack context come from. */
  vars: Readonly<Record<string, string | undefined>>;
}

export function readSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    vars: env,
    redact: secretsFrom(env),
    owner: describeOwner(env),
    cloudflare: { ...cloudflareSettingsFromEnv(env), childEnv: withoutShield(env) },
  };
}
