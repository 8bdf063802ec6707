/**
 * Shared by the chaos suite: trial counts from the environment, remote (cloudflare) worlds on
 * one fake Cloudflare API, a promote process that can be killed mid-flight, and the consistency
 * check every test ends with (ledger vs schema, nothing applied twice).
 *
 * Short mode (inside `npm test`) runs a couple of trials; `npm run chaos` sets PROMOTE_CHAOS=long.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FakeCloudflare } from '../fake-cloudflare/server.js';
import { createServer } from 'node:http';
import { CF_ENVS, activeVars, cloudflareEnvFile, cloudflareProjectFiles } from '../helpers/cloudflare-project.js';
import { BIN, makeProject, type CliResult } from '../helpers/project.js';

export const LONG = process.env.PROMOTE_CHAOS === 'long';

/** A trial count: the variable when set, else `long` under PROMOTE_CHAOS=long, else `short`. */
export function trials(variable: string, short: number, long: number): number {
  const raw = process.env[variable];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${variable}=${raw}: expected a whole number`);
    return n;
  }
  return LONG ? long : short;
}

/** k migrations: a counter table, then tables each adding one row to it. Applying one twice would show. */
export function countedMigrations(k: number): Record<string, string> {
  const files: Record<string, string> = { 'migrations/0001_counter.sql': 'CREATE TABLE applied (n INTEGER NOT NULL);\n' };
  for (let i = 2; i <= k; i++) {
    const id = String(i).padStart(4, '0');
    files[`migrations/${id}_t${i}.sql`] =
      `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX t${i}_name ON t${i}(name);\nINSERT INTO applied (n) VALUES (${i});\n`;
  }
  return files;
}

export const migrationNames = (k: number): string[] => Object.keys(countedMigrations(k)).map((p) => p.slice('migrations/'.length));

export interface RemoteWorld {
  root: string;
  tag: string;
  /** D1 uuid per environment. */
  uuids: Record<string, string>;
  /** Worker script name per environment (unique per world, so worlds on one fake never share a Worker). */
  scripts: Record<string, string>;
  healthBase: string;
  close(): Promise<void>;
}

/**
 * A project whose three environments are target: cloudflare, with fresh databases and Worker
 * names of its own on a shared fake. `envExtra` edits an environment file (soak, extra checks).
 */
export async function remoteWorld(
  fake: FakeCloudflare,
  files: Record<string, string>,
  opts: { envFile?: (env: string, base: string) => string; extraFiles?: Record<string, string> } = {},
): Promise<RemoteWorld> {
  const tag = Math.random().toString(16).slice(2, 8);
  const uuids: Record<string, string> = {};
  for (const env of CF_ENVS) uuids[env] = (await fake.addDatabase(`chaos-${env}-${tag}`)).uuid;
  const scripts = Object.fromEntries(CF_ENVS.map((e) => [e, `app-${tag}-${e}`]));
  const { server, base } = await startWorldHealthServer(fake, uuids, scripts);
  const project = cloudflareProjectFiles({ fake, uuids }, files);
  // Worker names of this world only: "app-<tag>" gives scripts app-<tag>-dev, ...
  project['wrangler.jsonc'] = project['wrangler.jsonc']!.replace('"name": "app"', `"name": "app-${tag}"`);
  for (const env of CF_ENVS) {
    const path = `environments/${env}.yaml`;
    if (opts.envFile) project[path] = opts.envFile(env, cloudflareEnvFile(env));
  }
  const root = await makeProject({ ...project, ...(opts.extraFiles ?? {}) });
  return { root, tag, uuids, scripts, healthBase: base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * The deployed Workers' health, played from what the fake holds (as in test/helpers/cloudflare-project.ts,
 * but for this world's script names): /<env>/health is 200 { ok: true } when the environment's D1 has a
 * ledger and the serving version has no BROKEN var.
 */
async function startWorldHealthServer(fake: FakeCloudflare, uuids: Record<string, string>, scripts: Record<string, string>): Promise<{ server: Server; base: string }> {
  const server = createServer(async (req, res) => {
    const [, env, path] = /^\/(dev|staging|production)(\/.*)$/.exec(req.url ?? '') ?? [];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!env || path !== '/health') return reply(404, { ok: false });
    try {
      if (activeVars(fake, scripts[env]!).BROKEN === 'yes') return reply(503, { ok: false, error: 'broken build' });
      const rows = (await fake.database(uuids[env]!).query('SELECT count(*) AS n FROM d1_migrations')) as { n: number }[];
      return reply(200, { ok: true, migrations: rows[0]?.n });
    } catch (e) {
      return reply(503, { ok: false, error: String((e as Error).message) });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

export function cloudflareEnv(fake: FakeCloudflare, world: Pick<RemoteWorld, 'root' | 'healthBase'>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...fake.env,
    HEALTH_BASE: world.healthBase,
    HOME: join(world.root, '.home'),
    CI: 'true',
    NO_COLOR: '1',
    WRANGLER_SEND_METRICS: 'false',
    ...extra,
  };
}

export function runPromote(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface KilledRun extends CliResult {
  /** The event lines seen before the kill. */
  events: number;
  /** The last event line before the kill (shortened), for messages. */
  lastEvent: string;
  killed: boolean;
}

/**
 * Starts promote in a process group of its own and SIGKILLs the whole group (promote and the
 * wrangler / workerd processes it started: the CI job dying) `delayMs` after the k-th JSON event line
 * (k = 0: `delayMs` after the start).
 */
export function promoteAndKill(args: string[], env: NodeJS.ProcessEnv, k: number, delayMs: number): Promise<KilledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let seen = 0;
    let last = '';
    let killed = false;
    let buffer = '';
    const kill = () => {
      if (killed || child.exitCode !== null) return;
      killed = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        seen += 1;
        last = line;
        if (seen === k) setTimeout(kill, delayMs);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    if (k === 0) setTimeout(kill, delayMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // Whatever of the group is still alive (it should be nothing) goes too.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is empty
      }
      resolve({ code: code ?? (signal ? 128 + 9 : -1), stdout, stderr, events: seen, lastEvent: last.slice(0, 200), killed: killed && signal === 'SIGKILL' });
    });
  });
}

/** The ledger of a fake D1 database (empty when there is none yet). */
export async function remoteLedger(fake: FakeCloudflare, uuid: string): Promise<string[]> {
  const rows = (await fake
    .database(uuid)
    .query('SELECT name FROM d1_migrations ORDER BY id')
    .catch(() => [])) as { name: string }[];
  return rows.map((r) => r.name);
}

/**
 * Ledger and schema agree (each t<i> table exists iff its file is in the ledger), the counter
 * has exactly one row per applied t<i> migration, and the ledger has no duplicates.
 */
export async function assertRemoteConsistent(fake: FakeCloudflare, uuid: string, context: string): Promise<string[]> {
  const db = fake.database(uuid);
  const ledger = await remoteLedger(fake, uuid);
  expect(new Set(ledger).size, `${context}: ledger without duplicates (${ledger.join(',')})`).toBe(ledger.length);
  const tables = ((await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*'")) as { name: string }[]).map((r) => r.name).sort();
  const expected = ledger.filter((n) => /_t\d+\.sql$/.test(n)).map((n) => /_(t\d+)\.sql$/.exec(n)![1]!).sort();
  expect(tables, `${context}: schema matches ledger ${ledger.join(',')}`).toEqual(expected);
  const hasCounter = ((await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'applied'")) as unknown[]).length > 0;
  expect(hasCounter, `${context}: the counter table exists iff 0001 is in the ledger`).toBe(ledger.includes('0001_counter.sql'));
  if (hasCounter) {
    const rows = ((await db.query('SELECT n FROM applied ORDER BY n')) as { n: number }[]).map((r) => r.n);
    const applied = expected.map((t) => Number(t.slice(1))).sort((a, b) => a - b);
    expect(rows, `${context}: one counter row per applied migration (no migration ran twice or half)`).toEqual(applied);
  }
  return ledger;
}

/** The lease row of an environment's database, if any. */
export async function leaseRow(fake: FakeCloudflare, uuid: string): Promise<Record<string, unknown> | undefined> {
  const rows = await fake
    .database(uuid)
    .query("SELECT run_id, owner, expires_at, expires_at - CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS remaining FROM promote_lock")
    .catch(() => []);
  return rows[0];
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // the line the kill cut in half
      }
    });
}

export const summaryOf = (stdout: string): Record<string, unknown> | undefined => jsonLines(stdout).findLast((e) => e.type === 'summary');

export { CF_ENVS };
export type { Server };
