// Fleet figure: `promote --to production` over 1,000 tenant D1 databases on the fake Cloudflare
// API (fleet.match "tenant-*", concurrency 16) with 50 ms latency on every API request, against
// the ideal: ceil(tenants / concurrency) rounds x the requests one tenant needs x the latency.
// Also: requests per tenant (all equal, and no more than a single-database run of the same
// migrations on the same fake needs), the total, and the promote process's own peak RSS.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runChild } from './child.js';
import { loadFake } from './remote.js';

const tenantName = (i) => `tenant-${String(i).padStart(4, '0')}`;

function migrations(count) {
  const files = {};
  for (let i = 1; i <= count; i++) {
    const id = String(i).padStart(4, '0');
    files[`migrations/${id}_t${i}.sql`] = `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX idx_t${i}_name ON t${i}(name);\n`;
  }
  return files;
}

function writeProject(fake, { prefix, databaseId, databasesYaml, migrationCount }) {
  const dir = mkdtempSync(join(os.tmpdir(), `promote-bench-${prefix}-`));
  const files = {
    'wrangler.jsonc': JSON.stringify({
      name: 'bench',
      compatibility_date: '2026-04-01',
      account_id: fake.accountId,
      env: { production: { d1_databases: [{ binding: 'DB', database_name: 'bench-production', database_id: databaseId, migrations_dir: 'migrations' }] } },
    }),
    'pipeline/pipeline.yaml': 'name: bench\nstages:\n  - environment: production\nrollback:\n  database: none\n',
    'environments/production.yaml': `target: cloudflare\nwrangler:\n  env: production\ndatabases:\n${databasesYaml}`,
    ...migrations(migrationCount),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, '.home'), { recursive: true });
  return dir;
}

/** The promote process's own peak RSS (MiB), written at its exit by peak-rss.cjs. */
function promoteRss(dir) {
  const rows = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
  const own = rows.filter((r) => r.script.endsWith(join('bin', 'promote.js')));
  return own.length ? Math.max(...own.map((r) => r.maxRSSKiB)) / 1024 : undefined;
}

export async function benchFleet({ repo, tenants = 1000, concurrency = 16, latencyMs = 50, migrationCount = 3, log = () => {} }) {
  const { startFakeCloudflare, dispose } = await loadFake(repo);
  // Request bodies are not kept: the log of ~10,000 requests stays small. No rate limit on the
  // fake, and the run's budget raised to match: at Cloudflare's 1,200 per 5 minutes these 10,000
  // requests would take 42 minutes whatever promote does (the budget's job, tested elsewhere); the
  // figure here is what the engine and the client cost on top of the network.
  const fake = await startFakeCloudflare({ logBodies: false, timeTravel: 'on-demand' });
  const rssDir = mkdtempSync(join(os.tmpdir(), 'promote-bench-rss-'));
  const dirs = [];
  const promote = (dir) =>
    runChild(process.execPath, [...(process.env.FLEET_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), join(repo, 'bin', 'promote.js'), '--to', 'production', '--json', '--cwd', dir], {
      env: {
        ...fake.env,
        HOME: join(dir, '.home'),
        CI: 'true',
        NO_COLOR: '1',
        PROMOTE_API_RATE_LIMIT: '1000000/5m',
        PROMOTE_BENCH_RSS_DIR: rssDir,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(repo, 'bench', 'lib', 'peak-rss.cjs')}`.trim(),
      },
      timeoutMs: 900_000,
      allowFail: true,
    });
  try {
    const uuids = [];
    for (let i = 1; i <= tenants; i++) uuids.push((await fake.addDatabase(tenantName(i))).uuid);
    const single = (await fake.addDatabase('bench-single')).uuid;
    // Every database started before anything is timed (the real service's databases exist already).
    for (const uuid of [...uuids, single]) await fake.database(uuid).query('SELECT 1');
    fake.setLatency(latencyMs);

    // One database, the same migrations: the requests a tenant should cost.
    const singleDir = writeProject(fake, { prefix: 'fleet-single', databaseId: single, databasesYaml: '  - binding: DB\n', migrationCount });
    dirs.push(singleDir);
    let from = fake.requests.length;
    const one = await promote(singleDir);
    if (one.code !== 0) throw new Error(`single-database run failed (exit ${one.code}):\n${one.stderr.slice(-2000)}`);
    const perDatabase = fake.requests.slice(from).filter((r) => r.path.includes(`/d1/database/${single}`)).length;
    log(`  one database: ${(one.ms / 1000).toFixed(2)} s, ${perDatabase} D1 requests`);
    for (const f of readdirSync(rssDir)) rmSync(join(rssDir, f));

    const fleetDir = writeProject(fake, {
      prefix: 'fleet',
      databaseId: single,
      databasesYaml: `  - binding: DB\n    fleet:\n      match: "tenant-*"\n      concurrency: ${concurrency}\n`,
      migrationCount,
    });
    dirs.push(fleetDir);
    from = fake.requests.length;
    const run = await promote(fleetDir);
    if (run.code !== 0) throw new Error(`fleet run failed (exit ${run.code}):\n${run.stderr.slice(-2000)}\n${run.stdout.slice(-2000)}`);
    const sent = fake.requests.slice(from);
    const counts = new Map();
    for (const r of sent) {
      const m = /\/d1\/database\/([0-9a-f-]{36})/.exec(r.path);
      if (m) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
    }
    const perTenant = uuids.map((u) => counts.get(u) ?? 0);
    const d1 = sent.filter((r) => r.path.includes('/d1/database/'));
    const spanMs = d1.length ? d1.at(-1).time + latencyMs - d1[0].time : 0;
    // Every tenant at the newest migration.
    let migrated = 0;
    for (const uuid of uuids) {
      const rows = await fake.database(uuid).query('SELECT count(*) AS n FROM d1_migrations');
      if (rows[0]?.n === migrationCount) migrated++;
    }
    if (migrated !== tenants) throw new Error(`${tenants - migrated} of ${tenants} tenants are not at the newest migration`);
    // What one tenant needs, as this run measured it (every tenant must need the same).
    const need = Math.max(...perTenant);
    const idealMs = Math.ceil(tenants / concurrency) * need * latencyMs;
    // Time the fake itself spent per D1 request beyond the injected latency (its own CPU and D1).
    const fakeExtra = d1.filter((r) => r.durationMs !== undefined).map((r) => r.durationMs - latencyMs).sort((a, b) => a - b);
    const result = {
      tenants,
      concurrency,
      latencyMs,
      migrations: migrationCount,
      perDatabase,
      perTenant: { min: Math.min(...perTenant), max: Math.max(...perTenant) },
      requests: sent.length,
      status429: sent.filter((r) => r.status === 429).length,
      idealMs,
      wallMs: run.ms,
      d1SpanMs: spanMs,
      singleWallMs: one.ms,
      peakRssMiB: promoteRss(rssDir),
      fakeExtraMs: { median: fakeExtra[Math.floor(fakeExtra.length / 2)] ?? 0, p90: fakeExtra[Math.floor(fakeExtra.length * 0.9)] ?? 0 },
    };
    log(`  fleet: ${(run.ms / 1000).toFixed(2)} s (D1 span ${(spanMs / 1000).toFixed(2)} s), ideal ${(idealMs / 1000).toFixed(2)} s, ${sent.length} requests, per tenant ${result.perTenant.min}..${result.perTenant.max}, peak RSS ${result.peakRssMiB?.toFixed(0)} MiB`);
    return result;
  } finally {
    await fake.close();
    dispose();
    rmSync(rssDir, { recursive: true, force: true });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

// Standalone: node bench/lib/fleet.js [tenants]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const repo = join(import.meta.dirname, '..', '..');
  const result = await benchFleet({ repo, tenants: Number(process.argv[2] ?? 1000), log: console.log });
  console.log(JSON.stringify(result, null, 2));
}
