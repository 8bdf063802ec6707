// Section 11: the schema drift check of a 200-migration local database. One
// project is migrated once (not timed); then each round times, in a rotating
// order, `promote status --env dev` without the check (--no-schema), with the
// check on a cold cache (the 200 migrations replayed on the scratch database,
// then compared) and with the check on a warm cache (the ledger is unchanged:
// the cached replay is compared, nothing replayed). Self-contained: its own
// temp project, its own figures.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runChild } from './child.js';
import { writeProject } from './project.js';

export const DRIFT_MIGRATIONS = 200;
/** The target: the check adds at most this much to `status`. */
export const DRIFT_TARGET_MS = 500;

const cacheDir = (dir) => join(dir, '.promote', 'cache', 'expected-schema');

/**
 * The check alone, in process (dist/): the dev database opened as the CLI opens it, then
 * checkSchema with the cache removed (replay + compare) and again (cached: compare only).
 */
async function checkInProcess({ repo, dir, runs }) {
  const load = (path) => import(pathToFileURL(join(repo, 'dist', ...path.split('/'))).href);
  const { EnvironmentSchema } = await load('config/schema.js');
  const { LocalEnvironmentRuntime } = await load('targets/local/local-environment.js');
  const { loadMigrations } = await load('migrations/index.js');
  const { readDatabaseState } = await load('ledger/ledger.js');
  const { checkSchema } = await load('ledger/expected-schema.js');
  const { migrations } = await loadMigrations(dir, 'migrations');
  const runtime = await LocalEnvironmentRuntime.start(dir, 'dev', EnvironmentSchema.parse({ target: 'local', databases: [{ binding: 'DB' }] }));
  const out = { cold: [], warm: [] };
  try {
    const conn = runtime.database('DB');
    const state = await readDatabaseState(conn, 'd1_migrations');
    const input = { conn, scratch: async () => runtime.scratch('DB'), ledgerTable: 'd1_migrations', migrations, retired: new Set(), state, ignore: [], root: dir };
    for (let i = 0; i < runs; i++) {
      rmSync(join(dir, '.promote', 'cache'), { recursive: true, force: true });
      for (const [key, replay] of [['cold', 'replayed'], ['warm', 'cached']]) {
        const started = performance.now();
        const r = await checkSchema(input);
        out[key].push(performance.now() - started);
        if (r.replay !== replay || r.check.status !== 'matches') throw new Error(`in-process ${key} check: ${JSON.stringify({ replay: r.replay, status: r.check.status })}`);
      }
    }
    return out;
  } finally {
    await runtime.dispose();
  }
}

export async function benchSchemaDrift({ node, promote, repo, runs, env, log, keep = false }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'promote-bench-drift-'));
  const samples = { without: [], cold: [], warm: [], checkCold: [], checkWarm: [] };
  const run = (args, timeoutMs = 180_000) => runChild(node, [promote, ...args, '--cwd', dir], { cwd: dir, env, timeoutMs });
  try {
    writeProject(dir, DRIFT_MIGRATIONS);
    await run(['migrate', '--env', 'dev']);
    // What each case's status must say, checked once (a check that silently did nothing would time nothing).
    const check = JSON.parse((await run(['status', '--json', '--env', 'dev'])).stdout).environments[0].databases[0];
    if (check.applied.length !== DRIFT_MIGRATIONS || check.schema?.matches !== true) throw new Error(`status after migrate: ${JSON.stringify({ applied: check.applied.length, schema: check.schema })}`);
    const cases = [
      { key: 'without', run: () => run(['status', '--env', 'dev', '--no-schema']) },
      {
        key: 'cold',
        run: async () => {
          rmSync(join(dir, '.promote', 'cache'), { recursive: true, force: true });
          const r = await run(['status', '--env', 'dev']);
          if (!existsSync(cacheDir(dir)) || readdirSync(cacheDir(dir)).length !== 1) throw new Error('the cold status wrote no cache file');
          return r;
        },
      },
      {
        key: 'warm',
        run: async () => {
          // Warm: the cache holds this ledger's replay (written by a status before, not timed when missing).
          if (!existsSync(cacheDir(dir))) await run(['status', '--env', 'dev']);
          return run(['status', '--env', 'dev']);
        },
      },
    ];
    for (let round = 0; round < runs; round++) {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(i + round) % cases.length];
        samples[c.key].push((await c.run()).ms);
      }
      log(`   round ${round + 1}/${runs} done`);
    }
    const inProcess = await checkInProcess({ repo, dir, runs });
    samples.checkCold = inProcess.cold;
    samples.checkWarm = inProcess.warm;
    return samples;
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
