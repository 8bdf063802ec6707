// Remote figure: migrate 50 pending files into one cloudflare environment with
// 100 ms of latency injected on every API request of the fake Cloudflare API,
// through promote and through `wrangler d1 migrations apply --remote`, side by
// side; wall time and request counts for each.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runChild } from './child.js';
import { summarize } from './stats.js';

/** The fake is TypeScript (test/fake-cloudflare/): bundle it for plain node with esbuild. */
export async function loadFake(repo) {
  const { build } = await import('esbuild');
  // Inside the repository's node_modules, so the bundle's imports (miniflare, undici) resolve.
  const dir = join(repo, 'node_modules', '.cache', 'promote-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `fake-${process.pid}.mjs`);
  await build({
    entryPoints: [join(repo, 'test', 'fake-cloudflare', 'server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'silent',
    absWorkingDir: repo,
  });
  const mod = await import(pathToFileURL(outfile).href);
  return { startFakeCloudflare: mod.startFakeCloudflare, dispose: () => rmSync(outfile, { force: true }) };
}

function migrations(count) {
  const files = {};
  for (let i = 1; i <= count; i++) {
    const id = String(i).padStart(4, '0');
    files[`migrations/${id}_t${i}.sql`] = `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT);\nCREATE INDEX idx_t${i}_name ON t${i}(name);\n`;
  }
  return files;
}

/**
 * A one-environment cloudflare project on the fake (env staging, binding DB), written to a temp folder:
 * the shape every remote bench section uses; each passes its own migrations and environment file.
 */
export function writeRemoteProject(fake, uuid, { prefix, migrationFiles, stagingYaml = 'target: cloudflare\nwrangler:\n  env: staging\n' }) {
  const dir = mkdtempSync(join(os.tmpdir(), `promote-bench-${prefix}-`));
  const files = {
    'wrangler.jsonc': JSON.stringify({
      name: 'bench',
      compatibility_date: '2026-04-01',
      account_id: fake.accountId,
      env: { staging: { d1_databases: [{ binding: 'DB', database_name: `bench-${uuid.slice(0, 8)}`, database_id: uuid, migrations_dir: 'migrations' }] } },
    }),
    'pipeline/pipeline.yaml': 'name: bench\nstages:\n  - environment: staging\n',
    'environments/staging.yaml': stagingYaml,
    ...migrationFiles,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, '.home'), { recursive: true });
  return dir;
}

function writeProject(fake, uuid, count) {
  return writeRemoteProject(fake, uuid, { prefix: 'remote', migrationFiles: migrations(count) });
}

const d1Requests = (fake, uuid, from) => fake.requests.slice(from).filter((r) => r.path.includes(`/d1/database/${uuid}/`)).length;

export async function benchRemote({ repo, runs, count = 50, latencyMs = 100, log = () => {} }) {
  const { startFakeCloudflare, dispose } = await loadFake(repo);
  const fake = await startFakeCloudflare({ latencyMs });
  const promote = { ms: [], d1: [], total: [] };
  const wrangler = { ms: [], d1: [], total: [] };
  const env = (dir) => ({ ...fake.env, HOME: join(dir, '.home'), CI: 'true', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' });
  try {
    for (let r = 0; r < runs; r++) {
      // alternate which tool goes first, so neither always runs on a warmer machine
      const order = r % 2 === 0 ? ['promote', 'wrangler'] : ['wrangler', 'promote'];
      for (const tool of order) {
        const { uuid } = await fake.addDatabase(`bench-${tool}-${r}-${Date.now()}`);
        const dir = writeProject(fake, uuid, count);
        const from = fake.requests.length;
        const run =
          tool === 'promote'
            ? await runChild(process.execPath, [join(repo, 'bin', 'promote.js'), 'migrate', '--env', 'staging', '--json', '--cwd', dir], { env: env(dir), timeoutMs: 180_000 })
            : await runChild(join(repo, 'node_modules', '.bin', 'wrangler'), ['d1', 'migrations', 'apply', 'DB', '--remote', '--env', 'staging'], { cwd: dir, env: env(dir), timeoutMs: 300_000 });
        const applied = await fake.database(uuid).query('SELECT count(*) AS n FROM d1_migrations');
        if (applied[0]?.n !== count) throw new Error(`${tool} applied ${applied[0]?.n} of ${count} migrations`);
        const target = tool === 'promote' ? promote : wrangler;
        target.ms.push(run.ms);
        target.d1.push(d1Requests(fake, uuid, from));
        target.total.push(fake.requests.length - from);
        log(`  remote ${tool} run ${r + 1}: ${(run.ms / 1000).toFixed(2)} s, ${target.d1.at(-1)} D1 requests, ${target.total.at(-1)} requests in all`);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await fake.close();
    dispose();
  }
  return {
    count,
    latencyMs,
    promote: { ...summarize(promote.ms), d1Requests: promote.d1, requests: promote.total },
    wrangler: { ...summarize(wrangler.ms), d1Requests: wrangler.d1, requests: wrangler.total },
  };
}

// Standalone: node bench/lib/remote.js [runs]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const repo = join(import.meta.dirname, '..', '..');
  const result = await benchRemote({ repo, runs: Number(process.argv[2] ?? 1), log: console.log });
  console.log(JSON.stringify({ ...result, promote: { ...result.promote, samples: undefined }, wrangler: { ...result.wrangler, samples: undefined } }, null, 2));
}
