/**
 * The process environment, read once. main() turns it into these typed
 * settings; every layer below the CLI gets what it needs from here (the
 * redactor, the lease owner, the cloudflare credentials) and never reads
 * process.env itself.
 */
import { declaredSecretNames } from '../config/credential-rules.js';
import type { Project } from '../config/schema.js';
import type { EngineSettings } from '../engine/engine-settings.js';
import { describeOwner } from '../events/run-owner.js';
import { createRedactor } from '../notify/redact.js';
import { secretValues } from '../notify/secrets.js';
import { cloudflareSettingsFromEnv } from '../targets/cloudflare/cloudflare-api.js';
import { withoutShield } from './child-shield.js';

export interface Settings extends EngineSettings {
  /** The variables `${VAR}` in config files may expand, and that GitHub and Slack context come from. */
  vars: NodeJS.ProcessEnv;
  /** Every secret value known to this command: masked in every output (and `::add-mask::`ed in Actions). */
  secrets: readonly string[];
}

export function readSettings(env: NodeJS.ProcessEnv): Settings {
  const secrets = secretValues(env);
  return {
    vars: env,
    secrets,
    redact: createRedactor(secrets),
    owner: describeOwner(env),
    cloudflare: { ...cloudflareSettingsFromEnv(env), childEnv: withoutShield(env) },
  };
}

/** Once the config is loaded, the health secrets its environments declare are masked too (whatever their names). */
export function withProjectSecrets(settings: Settings, project: Project): Settings {
  const secrets = secretValues(settings.vars, declaredSecretNames(project.environments.values()));
  return { ...settings, secrets, redact: createRedactor(secrets) };
}
