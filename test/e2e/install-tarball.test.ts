/**
 * The package as a team gets it: `npm pack`, the tarball installed into a Workers project nobody wrote
 * for promote (wrangler.jsonc with development, staging and production blocks, a migrations folder with
 * a trigger, no pipeline/), then `npx promote init`, `validate` and `--to local` there. Slow (an npm
 * install): one file, generous timeout.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, writeFiles } from '../helpers/project.js';

const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The child must not inherit this repository's npm context (npm run sets npm_config_* and npm_package_*).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k)));
    const child = spawn(cmd, args, { cwd, env: { ...env, CI: 'true', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_API_TOKEN: '', GITHUB_ACTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const PROJECT: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'jobmatch-workers', private: true, type: 'module', scripts: { dev: 'wrangler dev', deploy: 'wrangler deploy' } }, null, 2),
  'wrangler.jsonc': `// The team's own config, written long before promote
{
  "name": "jobmatch-api",
  "main": "src/index.ts",
  "compatibility_date": "2026-04-01",
  "env": {
    "production": {
      "d1_databases": [{ "binding": "DB", "database_name": "jobmatch-prod", "database_id": "06159734-6a06-4c4c-89f6-267e47cb8d30" }]
    },
    "staging": {
      "d1_databases": [{ "binding": "DB", "database_name": "jobmatch-staging", "database_id": "84b09169-503f-4e40-91c1-b3828272c2e3" }]
    },
    "development": {
      "d1_databases": [{ "binding": "DB", "database_name": "jobmatch-dev", "database_id": "8140efd5-9912-4e31-981d-0566f1efe9dc" }]
    }
  }
}
`,
  'src/index.ts': `interface Env { DB: D1Database }
type D1Database = { prepare(sql: string): { first<T>(): Promise<T | null> } };
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/health') {
      const row = await env.DB.prepare('SELECT count(*) AS n FROM jobs').first<{ n: number }>();
      return Response.json({ ok: true, jobs: row?.n ?? 0 });
    }
    return new Response('jobmatch');
  },
};
`,
  'migrations/0001_jobs.sql': 'CREATE TABLE jobs (id INTEGER PRIMARY KEY, title TEXT NOT NULL, updated_at TEXT);\n',
  'migrations/0002_jobs_touch.sql': `CREATE TRIGGER jobs_touch AFTER UPDATE OF title ON jobs
BEGIN
  UPDATE jobs SET updated_at = datetime('now') WHERE id = NEW.id;
END;
`,
  'migrations/README.md': '# migrations\n',
};

describe('the packed tarball in a project nobody wrote for promote', () => {
  it('npm pack, npm install -D, npx promote init / validate / --to local', async () => {
    const packDir = await mkdtemp(join(tmpdir(), 'promote-pack-'));
    const project = await mkdtemp(join(tmpdir(), 'promote-adopter-'));
    made.push(packDir, project);

    // --ignore-scripts: prepare (the build) already ran for npm test, and rebuilding dist/ here would
    // change it under the CLI tests running beside this one. `npm pack` on its own builds first.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir, '--json'], REPO);
    expect(pack.code, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toContain('bin/promote.js');
    expect(paths).toContain('dist/cli/main.js');
    expect(paths.some((p) => p.startsWith('src/') || p.startsWith('test/'))).toBe(false);
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);

    await writeFiles(project, PROJECT);
    const install = await run('npm', ['install', '-D', tarball, '--no-audit', '--no-fund', '--prefer-offline'], project);
    expect(install.code, install.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).devDependencies).toHaveProperty('promote-d1');

    const init = await run('npx', ['promote', 'init'], project);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('pipeline local -> development -> staging -> production');
    for (const f of ['pipeline/pipeline.yaml', 'environments/local.yaml', 'environments/development.yaml', 'environments/staging.yaml', 'environments/production.yaml']) {
      expect(init.stdout).toContain(`wrote ${f}`);
      expect(existsSync(join(project, f))).toBe(true);
    }
    expect(init.stdout).toContain('npx promote validate');
    const pipeline = readFileSync(join(project, 'pipeline/pipeline.yaml'), 'utf8');
    expect(pipeline).toMatch(/- environment: production\n {4}bookmark: true/);
    const local = readFileSync(join(project, 'environments/local.yaml'), 'utf8');
    expect(local).toContain('state: .wrangler/state/v3');
    expect(local).toContain('database_id: 8140efd5-9912-4e31-981d-0566f1efe9dc');
    expect(local).toContain('# health:');

    // never overwrites: a second init keeps every file as it is
    await writeFile(join(project, 'environments/staging.yaml'), readFileSync(join(project, 'environments/staging.yaml'), 'utf8') + '# edited by the team\n');
    const again = await run('npx', ['promote', 'init'], project);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('kept  environments/staging.yaml (exists; not overwritten)');
    expect(readFileSync(join(project, 'environments/staging.yaml'), 'utf8')).toContain('# edited by the team');

    const validate = await run('npx', ['promote', 'validate'], project);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);

    // the user fills in the health check, as the comment says
    await writeFile(join(project, 'environments/local.yaml'), local.replace(/^# (health:|  - url: \/health|    expect:|      status: 200)$/gm, '$1'));
    const promoted = await run('npx', ['promote', '--to', 'local'], project);
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain('1/1 checks passed');

    // the local stage is wrangler's own local database: wrangler sees both migrations applied
    const list = await run(join(REPO, 'node_modules', '.bin', 'wrangler'), ['d1', 'migrations', 'list', 'DB', '--local', '--env', 'development'], project);
    expect(list.code, list.stdout + list.stderr).toBe(0);
    expect(list.stdout + list.stderr).toContain('No migrations to apply');
  }, 600_000);
});
