// Transport figure: a trigger-bearing migration set migrated into a cloudflare environment through
// D1's import flow and through /query, 100 ms of latency on every API request of the fake, wall
// time and request counts for each.
//
// /query cannot carry multi-line triggers on a fake that splits like the field (that is the point of
// the import transport), so the query runs use the fake's 'sqlite' split mode: the same SQL, as if
// /query parsed it properly. That is the best case for /query, not what Cloudflare does. The
// field-like failure of /query is checked once (it must exit 1 with 7500 "incomplete input").
// The fake injects latency on API requests only, not on the PUT to the upload URL (it stands for R2).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runChild } from './child.js';
import { loadFake, writeRemoteProject } from './remote.js';
import { summarize } from './stats.js';

function migrations(count) {
  const files = {};
  for (let i = 1; i <= count; i++) {
    const id = String(i).padStart(4, '0');
    files[`migrations/${id}_t${i}.sql`] =
      `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, updated_at TEXT);\n` +
      `CREATE TRIGGER t${i}_touch AFTER UPDATE OF name ON t${i}\nBEGIN\n  UPDATE t${i} SET updated_at = datetime('now') WHERE id = NEW.id;\nEND;\n`;
  }
  return files;
}

function writeProject(fake, uuid, count, transport) {
  return writeRemoteProject(fake, uuid, {
    prefix: 'transport',
    stagingYaml: `target: cloudflare\nwrangler:\n  env: staging\ndatabases:\n  - binding: DB\n    transport: ${transport}\n`,
    migrationFiles: migrations(count),
  });
}

const touching = (fake, uuid, from) => fake.requests.slice(from).filter((r) => r.path.includes(`/d1/database/${uuid}/`) || r.path.startsWith('/__fake/d1-imports/'));

export async function benchTransport({ repo, runs, count = 20, latencyMs = 100, log = () => {} }) {
  const { startFakeCloudflare, dispose } = await loadFake(repo);
  const fake = await startFakeCloudflare({ latencyMs, querySplit: 'line-semicolons', importActivePolls: 1 });
  const env = (dir) => ({ ...fake.env, HOME: join(dir, '.home'), CI: 'true', NO_COLOR: '1' });
  const promote = (dir) => runChild(process.execPath, [join(repo, 'bin', 'promote.js'), 'migrate', '--env', 'staging', '--json', '--cwd', dir], { env: env(dir), timeoutMs: 180_000, allowFail: true });
  const results = { import: { ms: [], d1: [], total: [] }, query: { ms: [], d1: [], total: [] } };
  let fieldFailure;
  try {
    // Once: /query on the field-like split fails the trigger set, nothing applied.
    {
      const { uuid } = await fake.addDatabase(`bench-field-${Date.now()}`);
      const dir = writeProject(fake, uuid, count, 'query');
      const run = await promote(dir);
      const applied = await fake.database(uuid).query("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'trigger'");
      fieldFailure = { exitCode: run.code, incompleteInput: /incomplete input/.test(run.stdout + run.stderr), triggersApplied: applied[0]?.n ?? 0 };
      log(`  transport query on the field-like fake: exit ${run.code}, incomplete input: ${fieldFailure.incompleteInput}, triggers applied ${fieldFailure.triggersApplied}`);
      rmSync(dir, { recursive: true, force: true });
    }
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? ['import', 'query'] : ['query', 'import'];
      for (const transport of order) {
        // import runs on the field-like fake; query on the 'sqlite' split (see the note at the top)
        fake.setQuerySplit(transport === 'query' ? 'sqlite' : 'line-semicolons');
        const { uuid } = await fake.addDatabase(`bench-${transport}-${r}-${Date.now()}`);
        const dir = writeProject(fake, uuid, count, transport === 'import' ? 'auto' : 'query');
        const from = fake.requests.length;
        const run = await promote(dir);
        if (run.code !== 0) throw new Error(`transport ${transport}: promote migrate exited ${run.code}\n${run.stderr.slice(-2000)}`);
        const triggers = await fake.database(uuid).query("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'trigger'");
        if (triggers[0]?.n !== count) throw new Error(`transport ${transport}: ${triggers[0]?.n} of ${count} triggers applied`);
        const sent = touching(fake, uuid, from);
        if (transport === 'import' && !sent.some((q) => q.path.endsWith('/import'))) throw new Error('auto did not choose import for the trigger set');
        const target = results[transport];
        target.ms.push(run.ms);
        target.d1.push(sent.length);
        target.total.push(fake.requests.length - from);
        log(`  transport ${transport} run ${r + 1}: ${(run.ms / 1000).toFixed(2)} s, ${sent.length} D1 requests (upload included), ${fake.requests.length - from} requests in all`);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await fake.close();
    dispose();
  }
  const out = (t) => ({ ...summarize(results[t].ms), d1Requests: results[t].d1, requests: results[t].total });
  return { count, latencyMs, fieldFailure, import: out('import'), query: out('query') };
}

// Standalone: node bench/lib/transport.js [runs]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const repo = join(import.meta.dirname, '..', '..');
  const result = await benchTransport({ repo, runs: Number(process.argv[2] ?? 1), log: console.log });
  console.log(JSON.stringify({ ...result, import: { ...result.import, samples: undefined }, query: { ...result.query, samples: undefined } }, null, 2));
}
