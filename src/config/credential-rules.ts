/**
 * Where a `${VAR}` may go. A config value is sent somewhere: a health check's URL,
 * headers and body go to whatever host the check names, notification settings to
 * Slack or GitHub. So the credentials promote itself uses may be interpolated only
 * into the one key made for each (notify.slack.webhook, notify.slack.token), and the
 * Cloudflare and GitHub tokens into none: promote reads those from the environment.
 * A one-line `?t=${CLOUDFLARE_API_TOKEN}` in a pull request would otherwise send the
 * deploy token to any host on every promotion, with the log showing only `t=***`.
 *
 * Pure: judged from the interpolation records (which key path got which variable),
 * the declared `secrets:` and the variables' values, before anything runs.
 */
import type { Problem } from '../problems.js';
import type { EnvVars, VariableUse } from './interpolate.js';
import { formatKeyPath, keyPathId, type KeyPath } from './key-path.js';

export type CredentialKind = 'cloudflare' | 'github' | 'slack-webhook' | 'slack-token';

interface Credential {
  what: string;
  /** Variables promote (or a tool it runs: wrangler, Octokit) reads as this credential. */
  names: readonly string[];
  /** The pipeline key made for it; none: promote reads it from the environment itself. */
  key?: KeyPath;
  /** Where it does belong, for the fix. */
  belongs: string;
}

export const CREDENTIALS: Readonly<Record<CredentialKind, Credential>> = {
  cloudflare: {
    what: 'the Cloudflare API token',
    // credentialsFromEnv (targets/cloudflare) reads the first two; wrangler also takes a global API key.
    names: ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'CLOUDFLARE_API_KEY', 'CF_API_KEY'],
    belongs: 'promote and wrangler read it from the environment; no config key takes it',
  },
  github: {
    what: 'a GitHub token',
    names: ['GITHUB_TOKEN', 'GH_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'],
    belongs: 'promote reads GITHUB_TOKEN from the environment for Deployments and plan comments; no config key takes it',
  },
  'slack-webhook': {
    what: 'the Slack webhook URL',
    names: ['SLACK_WEBHOOK_URL'],
    key: ['notify', 'slack', 'webhook'],
    belongs: 'only notify.slack.webhook in pipeline/pipeline.yaml takes it',
  },
  'slack-token': {
    what: 'the Slack bot token',
    names: ['SLACK_BOT_TOKEN', 'SLACK_TOKEN'],
    key: ['notify', 'slack', 'token'],
    belongs: 'only notify.slack.token in pipeline/pipeline.yaml takes it',
  },
};

/** Names that look like a secret: interpolated into a check undeclared, they are worth a warning. */
const SECRET_LOOKING = /TOKEN|SECRET|PASSWORD|PASSWD|KEY/i;
/** A shorter value would match ordinary text; credentials are far longer. */
const MIN_ALIAS_LENGTH = 8;

export interface InterpolatedFile {
  /** Relative to the project root. */
  file: string;
  role: 'pipeline' | 'environment';
  uses: readonly VariableUse[];
  lineOf?: (path: KeyPath) => number | undefined;
  /** An environment's `secrets:` as written (only strings; zod reports the rest). */
  secrets?: readonly string[];
}

/** Every misplaced credential, every declared secret that is unset, every undeclared secret-looking variable in a check. */
export function checkCredentialUses(files: readonly InterpolatedFile[], env: EnvVars): Problem[] {
  const kinds = credentialKinds(files);
  const problems: Problem[] = [];
  for (const f of files) {
    const at = (path: KeyPath, p: Omit<Problem, 'file' | 'line'>): void => {
      const line = f.lineOf?.(path);
      problems.push({ ...p, file: f.file, ...(line !== undefined ? { line } : {}) });
    };
    const declared = new Set(f.secrets ?? []);
    const reported = new Set<string>();
    for (const use of f.uses) {
      const once = `${keyPathId(use.path)} ${use.name}`;
      if (reported.has(once)) continue;
      reported.add(once);
      const where = formatKeyPath(use.path);
      const kind = kinds.get(use.name);
      if (kind !== undefined) {
        if (!isHome(f, use.path, kind)) at(use.path, misplaced(where, use.name, kind, f, kinds));
        continue;
      }
      const alias = aliasOf(use.name, env, kinds);
      if (alias !== undefined) {
        at(use.path, {
          severity: 'error',
          code: 'E_CONFIG_CREDENTIAL_VALUE',
          message: `${where}: \${${use.name}} holds the value of ${alias} (${describe(alias, kinds)}); it may not be interpolated here`,
          hint: `give ${use.name} a value of its own: a credential under another name is still a credential (${CREDENTIALS[kinds.get(alias)!].belongs})`,
        });
        continue;
      }
      if (f.role === 'environment' && isSentByCheck(use.path) && !declared.has(use.name) && SECRET_LOOKING.test(use.name)) {
        at(use.path, {
          severity: 'warning',
          code: 'W_CONFIG_UNDECLARED_SECRET',
          message: `${where}: \${${use.name}} looks like a secret but is not declared in secrets:`,
          hint: `add secrets: [${use.name}] to ${f.file}: promote then refuses to run while it is unset and masks its value everywhere`,
        });
      }
    }
    (f.secrets ?? []).forEach((name, i) => {
      const path = ['secrets', i];
      const kind = kinds.get(name);
      if (kind !== undefined) {
        at(path, {
          severity: 'error',
          code: 'E_CONFIG_SECRET_IS_CREDENTIAL',
          message: `secrets[${i}]: ${name} is ${describe(name, kinds)}, not a health check secret`,
          hint: `remove ${name} from secrets: (${CREDENTIALS[kind].belongs}); give the health endpoint a token of its own, e.g. HEALTH_TOKEN`,
        });
        return;
      }
      const value = env[name];
      if (value === undefined || value === '') {
        at(path, {
          severity: 'error',
          code: 'E_CONFIG_SECRET_UNSET',
          message: `secrets[${i}]: ${name} is ${value === undefined ? 'not set' : 'empty'}`,
          hint: `set ${name} before running promote (in GitHub Actions: env: ${name}: \${{ secrets.${name} }} on the step), or remove it from secrets:`,
        });
      }
    });
  }
  return problems;
}

/** Variable name -> which credential it is: the fixed names, plus whatever the pipeline puts into a Slack credential key. */
export function credentialKinds(files: readonly InterpolatedFile[]): Map<string, CredentialKind> {
  const kinds = new Map<string, CredentialKind>();
  for (const [kind, c] of Object.entries(CREDENTIALS) as [CredentialKind, Credential][]) for (const n of c.names) kinds.set(n, kind);
  for (const f of files) {
    if (f.role !== 'pipeline') continue;
    for (const use of f.uses) {
      for (const [kind, c] of Object.entries(CREDENTIALS) as [CredentialKind, Credential][]) {
        // A fixed name keeps its kind: CLOUDFLARE_API_TOKEN in notify.slack.token is refused, not reclassified.
        if (c.key && samePath(use.path, c.key) && !kinds.has(use.name)) kinds.set(use.name, kind);
      }
    }
  }
  return kinds;
}

function misplaced(where: string, name: string, kind: CredentialKind, f: InterpolatedFile, kinds: ReadonlyMap<string, CredentialKind>): Omit<Problem, 'file' | 'line'> {
  const check = f.role === 'environment' && where.startsWith('health');
  return {
    severity: 'error',
    code: 'E_CONFIG_CREDENTIAL_USE',
    message: `${where}: \${${name}} is ${describe(name, kinds)}; it may not be interpolated here (this value is sent ${sentTo(where)})`,
    hint: `remove \${${name}} from ${where}: ${CREDENTIALS[kind].belongs}.${
      check ? ` If the health endpoint needs a token, give it one of its own and declare it: secrets: [HEALTH_TOKEN], then \${HEALTH_TOKEN}` : ''
    }`,
  };
}

function sentTo(where: string): string {
  if (where.startsWith('health')) return 'to the host this health check names';
  if (where.startsWith('notify')) return 'with notifications';
  return 'or shown beyond this machine';
}

function describe(name: string, kinds: ReadonlyMap<string, CredentialKind>): string {
  const kind = kinds.get(name)!;
  const c = CREDENTIALS[kind];
  return c.names.includes(name) ? c.what : `${c.what} (pipeline/pipeline.yaml's ${formatKeyPath(c.key!)} reads it)`;
}

/** The credential variable whose value this variable's value contains, if any. */
function aliasOf(name: string, env: EnvVars, kinds: ReadonlyMap<string, CredentialKind>): string | undefined {
  const value = env[name];
  if (value === undefined || value.length < MIN_ALIAS_LENGTH) return undefined;
  for (const credential of kinds.keys()) {
    const secret = env[credential];
    if (secret !== undefined && secret.length >= MIN_ALIAS_LENGTH && value.includes(secret)) return credential;
  }
  return undefined;
}

/** What a check puts on the wire besides its method: URL, headers, body. */
function isSentByCheck(path: KeyPath): boolean {
  return path[0] === 'health' && typeof path[1] === 'number' && (path[2] === 'url' || path[2] === 'headers' || path[2] === 'body');
}

function isHome(f: InterpolatedFile, path: KeyPath, kind: CredentialKind): boolean {
  const key = CREDENTIALS[kind].key;
  return f.role === 'pipeline' && key !== undefined && samePath(path, key);
}

function samePath(a: KeyPath, b: KeyPath): boolean {
  return a.length === b.length && a.every((seg, i) => seg === b[i]);
}

/** `secrets:` as written in a file's data, strings only. */
export function writtenSecrets(data: unknown): string[] {
  const list = data !== null && typeof data === 'object' ? (data as { secrets?: unknown }).secrets : undefined;
  // All or nothing, so indexes stay those of the file (secrets[2] is the third entry written).
  return Array.isArray(list) && list.every((s) => typeof s === 'string') ? (list as string[]) : [];
}

/** Every environment's declared secret names: their values are masked like credentials. */
export function declaredSecretNames(environments: Iterable<{ config: { secrets?: readonly string[] | undefined } }>): string[] {
  return [...new Set([...environments].flatMap((e) => e.config.secrets ?? []))];
}

const SLACK_API = 'https://slack.com/api';

/**
 * notify.slack.apiUrl is where the bot token goes with every message: a plain config value,
 * so a one-line change would send the token elsewhere. Allowed (a proxy, a test double), but
 * said out loud, as a warning on its line.
 */
export function checkSlackApiUrl(file: string, data: unknown, lineOf?: (path: KeyPath) => number | undefined): Problem[] {
  const slack = (data as { notify?: { slack?: { token?: unknown; apiUrl?: unknown } } } | undefined)?.notify?.slack;
  if (typeof slack?.token !== 'string' || slack.token === '' || typeof slack.apiUrl !== 'string') return [];
  const apiUrl = slack.apiUrl.replace(/\/+$/, '');
  if (apiUrl === SLACK_API) return [];
  let host: string;
  try {
    host = new URL(apiUrl).host;
  } catch {
    return []; // the schema reports a bad URL
  }
  const line = lineOf?.(['notify', 'slack', 'apiUrl']);
  return [
    {
      severity: 'warning',
      code: 'W_SLACK_API_URL',
      file,
      ...(line !== undefined ? { line } : {}),
      message: `notify.slack.apiUrl: the Slack bot token is sent to ${host}, not to Slack`,
      hint: `remove apiUrl (default ${SLACK_API}) unless ${host} is your own proxy to Slack`,
    },
  ];
}
