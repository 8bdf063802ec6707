/**
 * A project whose environments are all `target: cloudflare`, against the fake
 * Cloudflare API. The deployed Worker's health is played by a loopback
 * server that answers from what the fake holds: the environment's D1 and the
 * vars of the version serving now (a BROKEN var makes it unhealthy).
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { startFakeCloudflare, type FakeCloudflare, type FakeCloudflareOptions } from '../fake-cloudflare/server.js';
import { runCli, type CliResult } from './project.js';

export const CF_ENVS = ['dev', 'staging', 'production'] as const;
export type CfEnv = (typeof CF_ENVS)[number];

export interface CloudflareWorld {
  fake: FakeCloudflare;
  uuids: Record<string, string>;
  healthBase: string;
  /** Every request the health server answered, in order. */
  served: ServedRequest[];
  close(): Promise<void>;
}

/**
 * The fake API with one database per environment (app-<env>) and the health
 * server that plays the deployed Worker: what every cloudflare e2e test starts
 * before its first case and closes after its last.
 */
export async function startCloudflareWorld(options: FakeCloudflareOptions = {}): Promise<CloudflareWorld> {
  const fake = await startFakeCloudflare(options);
  const uuids: Record<string, string> = {};
  for (const env of CF_ENVS) uuids[env] = (await fake.addDatabase(`app-${env}`)).uuid;
  const { server, base, served } = await startHealthServer(fake, uuids);
  return {
    fake,
    uuids,
    healthBase: base,
    served,
    close: async () => {
      await new Promise((r) => server.close(r));
      await fake.close();
    },
  };
}

export function activeVars(fake: FakeCloudflare, script: string): Record<string, string> {
  const id = fake.activeVersion(script);
  const version = fake.scripts.get(script)?.versions.find((v) => v.id === id);
  const vars: Record<string, string> = {};
  for (const b of (version?.bindings ?? []) as { type: string; name: string; text?: string }[]) if (b.type === 'plain_text' && b.text !== undefined) vars[b.name] = b.text;
  return vars;
}

export function versionVars(fake: FakeCloudflare, script: string, id: string | undefined): Record<string, string> {
  const version = fake.scripts.get(script)?.versions.find((v) => v.id === id);
  const vars: Record<string, string> = {};
  for (const b of (version?.bindings ?? []) as { type: string; name: string; text?: string }[]) if (b.type === 'plain_text' && b.text !== undefined) vars[b.name] = b.text;
  return vars;
}

/** Which version of the fake's current deployment a request reached, and whether an override header chose it. */
export interface ServedRequest {
  script: string;
  versionId: string | undefined;
  overridden: boolean;
}

/**
 * Plays Cloudflare's routing for a gradual deployment: the version named by a
 * Cloudflare-Workers-Version-Overrides header when it is in the current deployment,
 * else by the split (deterministically, like the local router: an accumulator that
 * starts full, so the first routed request after a split change reaches the new version).
 */
function createVersionRouter(fake: FakeCloudflare) {
  const acc = new Map<string, { deployment: string; value: number }>();
  return (script: string, header: string | undefined): ServedRequest => {
    const deployment = fake.scripts.get(script)?.deployments.at(-1);
    if (!deployment) return { script, versionId: undefined, overridden: false };
    const wanted = new RegExp(`(?:^|,)\\s*${script}\\s*=\\s*"([^"]+)"`).exec(header ?? '')?.[1];
    if (wanted && deployment.versions.some((v) => v.version_id === wanted)) return { script, versionId: wanted, overridden: true };
    if (deployment.versions.length === 1) return { script, versionId: deployment.versions[0]!.version_id, overridden: false };
    // The version of the two that the newer upload is gets the accumulator.
    const versions = fake.scripts.get(script)!.versions;
    const [fresh, old] = [...deployment.versions].sort((a, b) => versions.findIndex((v) => v.id === b.version_id) - versions.findIndex((v) => v.id === a.version_id));
    let state = acc.get(script);
    if (state?.deployment !== deployment.id) state = { deployment: deployment.id, value: 100 - fresh!.percentage };
    state.value += fresh!.percentage;
    acc.set(script, state);
    if (state.value >= 100 && fresh!.percentage > 0) {
      state.value -= 100;
      return { script, versionId: fresh!.version_id, overridden: false };
    }
    return { script, versionId: old!.version_id, overridden: false };
  };
}

export async function startHealthServer(fake: FakeCloudflare, uuids: Record<string, string>): Promise<{ server: Server; base: string; served: ServedRequest[] }> {
  const route = createVersionRouter(fake);
  const served: ServedRequest[] = [];
  const server = createServer(async (req, res) => {
    const [, env, path] = /^\/(dev|staging|production)(\/.*)$/.exec(req.url ?? '') ?? [];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!env) return reply(404, { ok: false });
    try {
      const header = req.headers['cloudflare-workers-version-overrides'];
      const reached = route(`app-${env}`, Array.isArray(header) ? header.join(',') : header);
      served.push(reached);
      const vars = versionVars(fake, `app-${env}`, reached.versionId);
      if (vars.BROKEN === 'yes') return reply(503, { ok: false, error: 'broken build' });
      // A build that passes its smoke test (override header) and fails on real traffic.
      if (vars.LIVE_BROKEN === 'yes' && !reached.overridden) return reply(503, { ok: false, error: 'fails on live traffic' });
      const db = fake.database(uuids[env]!);
      if (path === '/health') {
        const rows = (await db.query('SELECT count(*) AS n FROM d1_migrations')) as { n: number }[];
        return reply(200, { ok: true, migrations: rows[0]?.n });
      }
      if (path === '/notes/1') {
        const rows = (await db.query('SELECT id FROM notes WHERE id = 1')) as unknown[];
        return rows.length ? reply(200, rows[0]) : reply(404, { error: 'not found' });
      }
      return reply(404, {});
    } catch (e) {
      return reply(503, { ok: false, error: String((e as Error).message) });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, served };
}

export function wranglerConfig(world: Pick<CloudflareWorld, 'fake' | 'uuids'>, vars: Partial<Record<CfEnv, Record<string, string>>> = {}): string {
  const env = Object.fromEntries(
    CF_ENVS.map((e) => [
      e,
      {
        vars: { ENVIRONMENT: e, ...(vars[e] ?? {}) },
        d1_databases: [{ binding: 'DB', database_name: `app-${e}`, database_id: world.uuids[e], migrations_dir: 'migrations' }],
      },
    ]),
  );
  return `// wrangler config: ids live here only\n${JSON.stringify({ name: 'app', main: 'src/index.js', compatibility_date: '2026-04-01', account_id: world.fake.accountId, env }, null, 2)}\n`;
}

export const cloudflareEnvFile = (e: string, extra = '') => `target: cloudflare
wrangler:
  env: ${e}
health:
  - url: \${HEALTH_BASE}/${e}/health
    timeout: 2s
    retries: 1
    expect:
      status: 200
      json:
        ok: true
${extra}`;

export const CLOUDFLARE_PIPELINE = `name: cloud
stages:
  - environment: dev
  - environment: staging
    bookmark: true
  - environment: production
    bookmark: true
rollback:
  database: time-travel
`;

export function cloudflareProjectFiles(world: Pick<CloudflareWorld, 'fake' | 'uuids'>, migrations: Record<string, string>): Record<string, string> {
  return {
    'wrangler.jsonc': wranglerConfig(world),
    'pipeline/pipeline.yaml': CLOUDFLARE_PIPELINE,
    'environments/dev.yaml': cloudflareEnvFile('dev'),
    'environments/staging.yaml': cloudflareEnvFile('staging'),
    'environments/production.yaml': cloudflareEnvFile('production'),
    'src/index.js': 'export default { async fetch(req, env) { return Response.json({ ok: true, env: env.ENVIRONMENT }); } };\n',
    ...migrations,
  };
}

/** The real CLI with the fake's credentials and the health server's base URL. */
export function promoteCloudflare(world: Pick<CloudflareWorld, 'fake' | 'healthBase'>, root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli([...args, '--cwd', root], { env: { ...world.fake.env, HEALTH_BASE: world.healthBase, HOME: join(root, '.home'), ...env } });
}
