/**
 * Workers scripts, versions and deployments, as wrangler 4.86 drives them:
 * first `wrangler deploy` PUTs the script (one new version + a 100% deployment); later deploys of a
 * module Worker POST .../versions then POST .../deployments, then PATCH .../script-settings;
 * `wrangler rollback` reads deployments and the version, then POSTs a deployment.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ApiError } from './envelope.js';
import { jsonBody, route, type Route, type RouteContext } from './router.js';

export interface WorkerBinding {
  name: string;
  type: string;
  [key: string]: unknown;
}

export interface WorkerVersion {
  id: string;
  number: number;
  createdOn: string;
  source: string;
  annotations: Record<string, string>;
  mainModule: string | undefined;
  modules: { name: string; contentType: string; size: number; sha256: string }[];
  /** secret_text bindings keep a sha256 of their text (as `textSha256`), never the text. */
  bindings: WorkerBinding[];
  compatibilityDate: string | undefined;
  compatibilityFlags: string[];
  /** The upload's metadata part as sent. */
  uploadMetadata: Record<string, unknown>;
}

export interface WorkerDeployment {
  id: string;
  created_on: string;
  source: string;
  strategy: 'percentage';
  author_email: string;
  versions: { version_id: string; percentage: number }[];
  annotations: Record<string, string>;
}

export interface WorkerScript {
  name: string;
  createdOn: string;
  modifiedOn: string;
  /** Oldest first. */
  versions: WorkerVersion[];
  /** Oldest first (the API lists newest first). */
  deployments: WorkerDeployment[];
  subdomain: { enabled: boolean; previews_enabled: boolean };
  settings: Record<string, unknown>;
  routes: unknown[];
  schedules: unknown[];
}

export interface WorkersState {
  scripts: Map<string, WorkerScript>;
  accountSubdomain: string;
  databaseExists: (id: string) => boolean;
  now: () => number;
  /**
   * Copy the upload's `workers/message` onto the deployment a first script upload creates. Off by
   * default: wrangler writes the message into the version, and whether Cloudflare copies it onto that
   * first deployment is not documented, so nothing may depend on it.
   */
  firstUploadDeploymentMessage: boolean;
}

const AUTHOR = 'fake-user@example.com';

/** The version serving 100% now, if any. */
export function activeVersionId(script: WorkerScript): string | undefined {
  return script.deployments.at(-1)?.versions.find((v) => v.percentage === 100)?.version_id;
}

const sourceOf = (ctx: RouteContext): string => (String(ctx.headers['user-agent'] ?? '').startsWith('wrangler') ? 'wrangler' : 'api');
const iso = (state: WorkersState): string => new Date(state.now()).toISOString();

function scriptOr404(state: WorkersState, name: string): WorkerScript {
  const script = state.scripts.get(name);
  if (!script) throw new ApiError(404, 10007, 'This Worker does not exist on your account.');
  return script;
}

function versionJson(v: WorkerVersion) {
  return {
    id: v.id,
    number: v.number,
    metadata: { author_id: 'fake-user', author_email: AUTHOR, created_on: v.createdOn, modified_on: v.createdOn, source: v.source, hasPreview: false, has_preview: false },
    annotations: v.annotations,
    resources: {
      bindings: v.bindings.map(({ textSha256: _omit, ...b }) => b),
      script: { etag: v.modules.find((m) => m.name === v.mainModule)?.sha256 ?? '', handlers: ['fetch'], last_deployed_from: v.source },
      script_runtime: { compatibility_date: v.compatibilityDate, compatibility_flags: v.compatibilityFlags, usage_model: 'standard', limits: {} },
    },
    startup_time_ms: 1,
  };
}

/** Parses the multipart upload into a version (not yet stored). */
async function readUpload(state: WorkersState, ctx: RouteContext, previous: WorkerVersion | undefined): Promise<WorkerVersion> {
  const contentType = String(ctx.headers['content-type'] ?? '');
  if (!contentType.startsWith('multipart/form-data')) throw new ApiError(400, 10021, 'Expected a multipart/form-data upload');
  const form = await new Request('http://fake/upload', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(ctx.body) }).formData();
  const metadataPart = form.get('metadata');
  if (metadataPart === null) throw new ApiError(400, 10021, 'Missing metadata part');
  const metadata = JSON.parse(typeof metadataPart === 'string' ? metadataPart : await metadataPart.text()) as Record<string, unknown>;
  const modules: WorkerVersion['modules'] = [];
  for (const [name, value] of form.entries()) {
    if (name === 'metadata' || typeof value === 'string') continue;
    const bytes = Buffer.from(await value.arrayBuffer());
    modules.push({ name, contentType: value.type, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  const mainModule = (metadata.main_module ?? metadata.body_part) as string | undefined;
  if (mainModule && !modules.some((m) => m.name === mainModule)) throw new ApiError(400, 10021, `No such module "${mainModule}"`);
  const bindings: WorkerBinding[] = [];
  for (const raw of (metadata.bindings ?? []) as WorkerBinding[]) {
    if (raw.type === 'inherit') {
      const inherited = previous?.bindings.find((b) => b.name === raw.name);
      if (inherited) bindings.push(inherited);
      continue;
    }
    if (raw.type === 'd1' && !state.databaseExists(String(raw.id ?? raw.database_id ?? ''))) {
      throw new ApiError(400, 10021, `binding ${raw.name} of type d1 must have a valid \`id\` specified`);
    }
    if (raw.type === 'secret_text') {
      const { text, ...rest } = raw;
      bindings.push({ ...rest, textSha256: createHash('sha256').update(String(text)).digest('hex') });
    } else bindings.push(raw);
  }
  if (metadata.keep_secrets || metadata.keep_bindings) {
    const keep = new Set((metadata.keep_bindings as string[] | undefined) ?? ['secret_text']);
    for (const b of previous?.bindings ?? []) if (keep.has(b.type) && !bindings.some((x) => x.name === b.name)) bindings.push(b);
  }
  const annotations = Object.fromEntries(Object.entries((metadata.annotations ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  return {
    id: randomUUID(),
    number: 0,
    createdOn: iso(state),
    source: sourceOf(ctx),
    annotations,
    mainModule,
    modules,
    bindings,
    compatibilityDate: metadata.compatibility_date as string | undefined,
    compatibilityFlags: (metadata.compatibility_flags as string[] | undefined) ?? [],
    uploadMetadata: metadata,
  };
}

function addVersion(script: WorkerScript, version: WorkerVersion, now: string): WorkerVersion {
  version.number = script.versions.length + 1;
  script.versions.push(version);
  script.modifiedOn = now;
  return version;
}

function addDeployment(state: WorkersState, ctx: RouteContext, script: WorkerScript, versions: WorkerDeployment['versions'], annotations: Record<string, string>): WorkerDeployment {
  const deployment: WorkerDeployment = { id: randomUUID(), created_on: iso(state), source: sourceOf(ctx), strategy: 'percentage', author_email: AUTHOR, versions, annotations };
  script.deployments.push(deployment);
  return deployment;
}

function secretsChanged(from: WorkerVersion | undefined, to: WorkerVersion): string[] {
  const secrets = (v: WorkerVersion | undefined) => new Map((v?.bindings ?? []).filter((b) => b.type === 'secret_text').map((b) => [b.name, b.textSha256]));
  const [a, b] = [secrets(from), secrets(to)];
  return [...new Set([...a.keys(), ...b.keys()])].filter((name) => a.get(name) !== b.get(name)).sort();
}

export function workersRoutes(state: WorkersState): Route[] {
  const scripts = '/accounts/:account/workers/scripts';
  const getScript = (ctx: RouteContext) => scriptOr404(state, ctx.params.name!);
  return [
    route('GET', '/accounts/:account/workers/subdomain', () => ({ result: { subdomain: state.accountSubdomain } })),
    route('PUT', '/accounts/:account/workers/subdomain', (ctx) => {
      const { subdomain } = jsonBody<{ subdomain?: string }>(ctx);
      if (subdomain) state.accountSubdomain = subdomain;
      return { result: { subdomain: state.accountSubdomain } };
    }),
    route('GET', '/accounts/:account/workers/services/:name', (ctx) => {
      const script = state.scripts.get(ctx.params.name!);
      if (!script) throw new ApiError(404, 10090, 'This Worker does not exist on your account.');
      const active = script.versions.find((v) => v.id === activeVersionId(script));
      const scriptInfo = { id: script.name, tag: script.name, etag: active?.modules[0]?.sha256, handlers: ['fetch'], last_deployed_from: 'wrangler', tags: script.settings.tags ?? [] };
      return {
        result: { id: script.name, created_on: script.createdOn, modified_on: script.modifiedOn, default_environment: { environment: 'production', created_on: script.createdOn, modified_on: script.modifiedOn, script: scriptInfo } },
      };
    }),
    route('PUT', `${scripts}/:name`, async (ctx) => {
      const name = ctx.params.name!;
      const now = iso(state);
      const existing = state.scripts.get(name);
      const previous = existing?.versions.find((v) => v.id === activeVersionId(existing));
      const version = await readUpload(state, ctx, previous);
      const script: WorkerScript = existing ?? { name, createdOn: now, modifiedOn: now, versions: [], deployments: [], subdomain: { enabled: false, previews_enabled: false }, settings: {}, routes: [], schedules: [] };
      state.scripts.set(name, script);
      version.annotations['workers/triggered_by'] = 'upload';
      addVersion(script, version, now);
      const message = state.firstUploadDeploymentMessage ? version.annotations['workers/message'] : undefined;
      addDeployment(state, ctx, script, [{ version_id: version.id, percentage: 100 }], { 'workers/triggered_by': 'upload', ...(message ? { 'workers/message': message } : {}) });
      return {
        result: {
          id: name, tag: name, etag: version.modules[0]?.sha256, handlers: ['fetch'], created_on: script.createdOn, modified_on: now,
          deployment_id: version.id, usage_model: 'standard', compatibility_date: version.compatibilityDate, compatibility_flags: version.compatibilityFlags,
          last_deployed_from: version.source, has_modules: true, startup_time_ms: 1,
        },
      };
    }),
    route('DELETE', `${scripts}/:name`, (ctx) => {
      getScript(ctx);
      state.scripts.delete(ctx.params.name!);
      return { result: null };
    }),
    route('POST', `${scripts}/:name/versions`, async (ctx) => {
      const script = getScript(ctx);
      const previous = script.versions.find((v) => v.id === activeVersionId(script));
      const version = await readUpload(state, ctx, previous);
      version.annotations['workers/triggered_by'] ??= 'version_upload';
      return { result: versionJson(addVersion(script, version, iso(state))) };
    }),
    route('GET', `${scripts}/:name/versions`, (ctx) => {
      const items = [...getScript(ctx).versions].reverse().map(versionJson);
      return { result: { items }, resultInfo: { page: 1, per_page: items.length, count: items.length, total_count: items.length } };
    }),
    route('GET', `${scripts}/:name/versions/:id`, (ctx) => {
      const version = getScript(ctx).versions.find((v) => v.id === ctx.params.id);
      if (!version) throw new ApiError(404, 10232, `Version ${ctx.params.id} not found`);
      return { result: versionJson(version) };
    }),
    route('GET', `${scripts}/:name/deployments`, (ctx) => ({ result: { deployments: [...getScript(ctx).deployments].reverse() } })),
    route('POST', `${scripts}/:name/deployments`, (ctx) => {
      const script = getScript(ctx);
      const body = jsonBody<{ strategy?: string; versions?: { version_id?: string; percentage?: number }[]; annotations?: Record<string, unknown> }>(ctx, 10021);
      if (body.strategy !== 'percentage') throw new ApiError(400, 10021, 'strategy must be "percentage"');
      const versions = body.versions ?? [];
      if (versions.length === 0 || versions.length > 2) throw new ApiError(400, 10021, 'A deployment needs one or two versions');
      if (versions.reduce((sum, v) => sum + (v.percentage ?? 0), 0) !== 100) throw new ApiError(400, 10021, 'Version percentages must add up to 100');
      for (const v of versions) {
        if (!script.versions.some((x) => x.id === v.version_id)) throw new ApiError(400, 10232, `Version ${v.version_id} not found`);
      }
      const target = script.versions.find((x) => x.id === versions.find((v) => v.percentage === 100)?.version_id);
      const active = script.versions.find((x) => x.id === activeVersionId(script));
      const changed = target && active && target.number < active.number ? secretsChanged(active, target) : [];
      if (changed.length > 0 && ctx.query.get('force') !== 'true') {
        throw new ApiError(400, 10220, `Cannot rollback to a version whose secrets differ from the current deployment. The following secrets have changed: ${changed.join(', ')}`);
      }
      const annotations = Object.fromEntries(Object.entries(body.annotations ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      const deployment = addDeployment(state, ctx, script, versions.map((v) => ({ version_id: v.version_id!, percentage: v.percentage! })), annotations);
      return { result: deployment };
    }),
    ...['script-settings', 'settings'].flatMap((kind) => [
      route('GET', `${scripts}/:name/${kind}`, (ctx) => ({ result: getScript(ctx).settings })),
      route('PATCH', `${scripts}/:name/${kind}`, async (ctx) => {
        const script = getScript(ctx);
        const contentType = String(ctx.headers['content-type'] ?? '');
        let patch: Record<string, unknown>;
        if (contentType.startsWith('multipart/form-data')) {
          const form = await new Request('http://fake/settings', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(ctx.body) }).formData();
          const part = form.get('settings');
          patch = part === null ? {} : JSON.parse(typeof part === 'string' ? part : await part.text());
        } else patch = jsonBody(ctx, 10021);
        Object.assign(script.settings, patch);
        return { result: script.settings };
      }),
    ]),
    route('GET', `${scripts}/:name/subdomain`, (ctx) => ({ result: getScript(ctx).subdomain })),
    route('POST', `${scripts}/:name/subdomain`, (ctx) => {
      const script = getScript(ctx);
      const body = jsonBody<{ enabled?: boolean; previews_enabled?: boolean }>(ctx, 10021);
      script.subdomain = { enabled: body.enabled ?? script.subdomain.enabled, previews_enabled: body.previews_enabled ?? body.enabled ?? script.subdomain.previews_enabled };
      return { result: script.subdomain };
    }),
    route('PUT', `${scripts}/:name/routes`, (ctx) => {
      const script = getScript(ctx);
      script.routes = jsonBody<unknown[]>(ctx, 10021);
      return { result: script.routes };
    }),
    route('GET', `${scripts}/:name/schedules`, (ctx) => ({ result: { schedules: getScript(ctx).schedules } })),
    route('PUT', `${scripts}/:name/schedules`, (ctx) => {
      const script = getScript(ctx);
      script.schedules = jsonBody<unknown[]>(ctx, 10021);
      return { result: { schedules: script.schedules } };
    }),
    route('GET', `${scripts}/:name/secrets`, (ctx) => {
      const script = getScript(ctx);
      const active = script.versions.find((v) => v.id === activeVersionId(script));
      return { result: (active?.bindings ?? []).filter((b) => b.type === 'secret_text').map((b) => ({ name: b.name, type: b.type })) };
    }),
    route('PUT', `${scripts}/:name/secrets`, (ctx) => {
      // A secret change makes a new version from the serving one and deploys it, as on Cloudflare.
      const script = getScript(ctx);
      const { name, text, type = 'secret_text' } = jsonBody<{ name?: string; text?: string; type?: string }>(ctx, 10021);
      if (!name || typeof text !== 'string') throw new ApiError(400, 10021, 'A secret needs a name and a text');
      const active = script.versions.find((v) => v.id === activeVersionId(script));
      if (!active) throw new ApiError(400, 10021, 'The Worker has no deployment to add a secret to');
      const bindings = active.bindings.filter((b) => b.name !== name);
      bindings.push({ name, type, textSha256: createHash('sha256').update(text).digest('hex') });
      const version = addVersion(script, { ...active, id: randomUUID(), createdOn: iso(state), source: sourceOf(ctx), bindings, annotations: { 'workers/triggered_by': 'secret' } }, iso(state));
      addDeployment(state, ctx, script, [{ version_id: version.id, percentage: 100 }], { 'workers/triggered_by': 'secret' });
      return { result: { name, type } };
    }),
  ];
}
