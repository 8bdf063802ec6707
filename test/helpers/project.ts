/** Temp projects and a real CLI run: the end-to-end tests' whole toolbox. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentSchema } from '../../src/config/schema.js';
import { LocalEnvironmentRuntime } from '../../src/targets/local/local-environment.js';
import type { StatementResult } from '../../src/d1/connection.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(REPO, 'bin', 'promote.js');

export const PIPELINE = `name: test
stages:
  - environment: dev
  - environment: staging
  - environment: production
    bookmark: true
rollback:
  database: time-travel
`;

export const LOCAL_ENV = `target: local
databases:
  - binding: DB
health:
  - url: /health
    expect:
      status: 200
`;

export const BASE_FILES: Record<string, string> = {
  'pipeline/pipeline.yaml': PIPELINE,
  'environments/dev.yaml': LOCAL_ENV,
  'environments/staging.yaml': LOCAL_ENV,
  'environments/production.yaml': LOCAL_ENV,
  'migrations/0001_init.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n',
  'migrations/0002_notes.sql':
    'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), body TEXT);\nCREATE INDEX idx_notes_user ON notes(user_id);\n',
};

const made: string[] = [];

export async function makeProject(files: Record<string, string | Uint8Array> = BASE_FILES): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'promote-test-'));
  made.push(root);
  await writeFiles(root, files);
  return root;
}

export async function writeFiles(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

export async function cleanupProjects(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * When the suite itself runs in GitHub Actions (or with Slack configured), the
 * CLI under test must not write to that job's summary or post anywhere: tests
 * that want these set them explicitly.
 */
const NOT_INHERITED: NodeJS.ProcessEnv = {
  GITHUB_ACTIONS: undefined,
  GITHUB_STEP_SUMMARY: undefined,
  GITHUB_OUTPUT: undefined,
  GITHUB_TOKEN: undefined,
  GITHUB_EVENT_PATH: undefined,
  SLACK_WEBHOOK_URL: undefined,
  CLOUDFLARE_API_TOKEN: undefined,
  CLOUDFLARE_ACCOUNT_ID: undefined,
};

/** The environment a spawned CLI gets: this one, minus NOT_INHERITED, plus `extra` (undefined removes a variable). */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries({ ...process.env, ...NOT_INHERITED, NO_COLOR: '1', CI: 'true', WRANGLER_SEND_METRICS: 'false', ...extra }).filter(([, v]) => v !== undefined),
  );
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = cliEnv(opts.env);
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** Opens an environment's databases the way the CLI does and runs SQL against one of them. */
export async function queryEnv(root: string, envName: string, sql: string, binding = 'DB'): Promise<Record<string, unknown>[]> {
  const [result] = await batchEnv(root, envName, [sql], binding);
  return result?.results ?? [];
}

export async function batchEnv(root: string, envName: string, sqls: string[], binding = 'DB'): Promise<StatementResult[]> {
  const { parse } = await import('yaml');
  const config = EnvironmentSchema.parse(parse(readFileSync(join(root, 'environments', `${envName}.yaml`), 'utf8')));
  if (config.target !== 'local') throw new Error('local environments only');
  const runtime = await LocalEnvironmentRuntime.start(root, envName, config);
  try {
    return await runtime.database(binding).batch(sqls.map((sql) => ({ sql })));
  } finally {
    await runtime.dispose();
  }
}

export async function tableNames(root: string, envName: string): Promise<string[]> {
  const rows = await queryEnv(root, envName, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name");
  return rows.map((r) => String(r.name));
}

export async function ledgerNames(root: string, envName: string): Promise<string[]> {
  const tables = await tableNames(root, envName);
  if (!tables.includes('d1_migrations')) return [];
  return (await queryEnv(root, envName, 'SELECT name FROM d1_migrations ORDER BY id')).map((r) => String(r.name));
}

/**
 * A fingerprint of everything promote may write for a project (.promote/,
 * .wrangler/): "nothing touched" means this is identical before and after.
 */
export function stateFingerprint(root: string): string {
  const hash = createHash('sha256');
  for (const dir of ['.promote', '.wrangler']) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    const walk = (d: string): void => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else hash.update(`${relative(root, p)}\0${st.size}\0`).update(readFileSync(p));
      }
    };
    walk(abs);
  }
  return hash.digest('hex');
}
