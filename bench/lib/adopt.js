// Adopting existing databases (issue 12):
//  - local: `promote baseline` of a database holding 200 migrations' schema and no
//    ledger (the prefix search included: every migration replayed once on scratch);
//  - remote: the schema fingerprint read of a 200-table database over the fake
//    Cloudflare API at 100 ms latency per request (requests and time), in process
//    and as a whole `promote baseline --dry-run`.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runChild } from './child.js';
import { resetState, writeProject } from './project.js';
import { loadFake, writeRemoteProject } from './remote.js';

const CHILD_ENV = { WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };

function lastJson(stdout) {
  return JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1));
}

/** The dev database of a bench project, opened the way the CLI opens it (dist/). */
async function execLocal(repo, dir, sqls) {
  const { EnvironmentSchema } = await import(pathToFileURL(join(repo, 'dist', 'config', 'schema.js')).href);
  const { LocalEnvironmentRuntime } = await import(pathToFileURL(join(repo, 'dist', 'targets', 'local', 'local-environment.js')).href);
  const config = EnvironmentSchema.parse({ target: 'local', databases: [{ binding: 'DB' }] });
  const runtime = await LocalEnvironmentRuntime.start(dir, 'dev', config);
  try {
    return await runtime.database('DB').batch(sqls.map((sql) => ({ sql })));
  } finally {
    await runtime.dispose();
  }
}

export async function benchBaselineLocal({ repo, runs, count = 200, log = () => {} }) {
  const promote = (args) => runChild(process.execPath, [join(repo, 'bin', 'promote.js'), ...args], { env: CHILD_ENV, timeoutMs: 300_000 });
  const dir = mkdtempSync(join(os.tmpdir(), 'promote-bench-baseline-'));
  const ms = [];
  try {
    writeProject(dir, count);
    for (let r = 0; r < runs; r++) {
      // A database with every migration's schema and no ledger: what a team that applied files by hand has.
      resetState(dir);
      await promote(['migrate', '--env', 'dev', '--cwd', dir]);
      await execLocal(repo, dir, ['DROP TABLE d1_migrations', 'DROP TABLE promote_migrations', 'DROP TABLE IF EXISTS promote_lock']);
      const run = await promote(['baseline', '--env', 'dev', '--json', '--cwd', dir]);
      const db = lastJson(run.stdout).databases[0];
      if (db.status !== 'recorded' || db.recorded.length !== count || db.replayed !== count) {
        throw new Error(`baseline recorded ${db.recorded?.length} and replayed ${db.replayed} of ${count}: ${run.stdout}`);
      }
      ms.push(run.ms);
      log(`  baseline ${count} run ${r + 1}: ${(ms.at(-1) / 1000).toFixed(2)} s, replayed ${db.replayed}, recorded ${db.recorded.length}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { count, ms };
}

function remoteProject(fake, uuid, count) {
  const migrationFiles = {};
  for (let i = 1; i <= count; i++) migrationFiles[`migrations/${String(i).padStart(4, '0')}_t${i}.sql`] = tableSql(i);
  return writeRemoteProject(fake, uuid, { prefix: 'fingerprint', migrationFiles });
}

const tableSql = (i) => `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT);\nCREATE INDEX idx_t${i}_name ON t${i}(name);\n`;

export async function benchFingerprintRemote({ repo, runs, tables = 200, latencyMs = 100, log = () => {} }) {
  const { startFakeCloudflare, dispose } = await loadFake(repo);
  const fake = await startFakeCloudflare({ latencyMs });
  const { CloudflareApi } = await import(pathToFileURL(join(repo, 'dist', 'targets', 'cloudflare', 'cloudflare-api.js')).href);
  const { D1RestConnection } = await import(pathToFileURL(join(repo, 'dist', 'targets', 'cloudflare', 'd1-rest.js')).href);
  const { readFingerprint } = await import(pathToFileURL(join(repo, 'dist', 'ledger', 'schema-read.js')).href);
  const read = { ms: [], requests: [] };
  const dryRun = { ms: [], requests: [] };
  try {
    const { uuid } = await fake.addDatabase('bench-fingerprint');
    // Built straight on the fake's engine (no latency): 200 tables, 200 indexes.
    await fake.database(uuid).query(Array.from({ length: tables }, (_, i) => tableSql(i + 1)).join(''));
    const api = new CloudflareApi({ token: fake.token, accountId: fake.accountId, baseUrl: fake.url });
    const conn = new D1RestConnection(api, uuid, 'bench/DB');
    const dir = remoteProject(fake, uuid, tables);
    try {
      for (let r = 0; r < runs; r++) {
        const from = fake.requests.length;
        const started = performance.now();
        const fp = await readFingerprint(conn, ['d1_migrations']);
        read.ms.push(performance.now() - started);
        read.requests.push(fake.requests.length - from);
        if (fp.objects.length !== tables * 2) throw new Error(`fingerprint saw ${fp.objects.length} objects, expected ${tables * 2}`);

        const before = fake.requests.length;
        const env = { ...fake.env, HOME: join(dir, '.home'), ...CHILD_ENV };
        const run = await runChild(process.execPath, [join(repo, 'bin', 'promote.js'), 'baseline', '--env', 'staging', '--dry-run', '--json', '--cwd', dir], { env, timeoutMs: 300_000 });
        const db = lastJson(run.stdout).databases[0];
        if (db.status !== 'would record' || db.recorded.length !== tables) throw new Error(`baseline --dry-run: ${run.stdout}`);
        dryRun.ms.push(run.ms);
        dryRun.requests.push(fake.requests.length - before);
        log(`  fingerprint ${tables} tables run ${r + 1}: ${read.ms.at(-1).toFixed(0)} ms in ${read.requests.at(-1)} request(s); baseline --dry-run ${(run.ms / 1000).toFixed(2)} s in ${dryRun.requests.at(-1)} request(s)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await fake.close();
    dispose();
  }
  return { tables, latencyMs, read, dryRun };
}

// Standalone: node bench/lib/adopt.js [runs]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const repo = join(import.meta.dirname, '..', '..');
  const runs = Number(process.argv[2] ?? 1);
  console.log(JSON.stringify({ local: await benchBaselineLocal({ repo, runs, log: console.log }), remote: await benchFingerprintRemote({ repo, runs, log: console.log }) }, null, 2));
}
