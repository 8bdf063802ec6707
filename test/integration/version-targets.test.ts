/**
 * Version targets on the local target (real CLI, Miniflare): `migrate --to`
 * applies up to and including NNNN, `rollback --to` undoes what is above it
 * with the rollback files, each undo with its ledger rows in one transaction,
 * refuses (exit 2, naming them) when one has no rollback file, and runs the
 * health checks afterwards (exit 4 when they fail). A rollback killed with
 * SIGKILL mid-way leaves a consistent database, and the rerun finishes it
 * without undoing anything twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFingerprint } from '../../src/ledger/schema-read.js';
import type { D1Connection } from '../../src/d1/connection.js';
import type { SchemaFingerprint } from '../../src/schema/fingerprint.js';
import { startCli } from '../helpers/cli-process.js';
import { PIPELINE, batchEnv, cleanupProjects, ledgerNames, makeProject, queryEnv, runCli, tableNames, writeFiles } from '../helpers/project.js';
import { envFile, lastJson } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

/** Healthy while table t1 exists: undoing every migration makes the environment fail its checks. */
const WORKER = `export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== '/health') return new Response('ok');
    try {
      await env.DB.prepare('SELECT count(*) AS n FROM t1').first();
      return Response.json({ ok: true });
    } catch (e) {
      return Response.json({ ok: false, error: String(e.message) }, { status: 503 });
    }
  },
};
`;

const migration = (i: number) => `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX idx_t${i}_name ON t${i}(name);\nINSERT INTO t${i} (name) VALUES ('row of ${i}');\n`;
const rollback = (i: number, extra = '') => `${extra}DROP INDEX idx_t${i}_name;\nDROP TABLE t${i};\n`;

/** 0001, 0002, 0003, 0005 (no 0004: an unknown version), each with its rollback file. */
function files(numbers = [1, 2, 3, 5], rollbackExtra: Record<number, string> = {}): Record<string, string> {
  const out: Record<string, string> = {
    // Sparse numbers on purpose: 0004 is a version that names no file.
    'pipeline/pipeline.yaml': `${PIPELINE}migrations:\n  allowGaps: true\n`,
    'environments/dev.yaml': envFile(),
    'environments/staging.yaml': envFile(),
    'environments/production.yaml': envFile(),
    'app/worker.js': WORKER,
  };
  for (const i of numbers) {
    const id = String(i).padStart(4, '0');
    out[`migrations/${id}_t${i}.sql`] = migration(i);
    out[`migrations/rollback/${id}_t${i}.rollback.sql`] = rollback(i, rollbackExtra[i]);
  }
  return out;
}

const name = (i: number) => `${String(i).padStart(4, '0')}_t${i}.sql`;

/** The environment's database behind the D1Connection seam (each call starts and stops its Miniflare). */
function envConnection(root: string, env: string): D1Connection {
  return { label: env, batch: (statements) => batchEnv(root, env, statements.map((s) => s.sql)) };
}
const fingerprint = (root: string, env: string): Promise<SchemaFingerprint> => readFingerprint(envConnection(root, env), ['d1_migrations']);

const cli = (root: string, args: string[]) => runCli([...args, '--cwd', root]);

describe('migrate --to on the local target', () => {
  it('applies up to and including NNNN, dry-runs, and refuses an unknown or future version with the nearest ones', { timeout: 180_000 }, async () => {
    const root = await makeProject(files());
    const dry = await cli(root, ['migrate', '--env', 'dev', '--to', '0002', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(lastJson(dry.stdout)).toMatchObject({ dryRun: true, to: '0002', databases: [{ binding: 'DB', pending: [name(1), name(2)] }] });
    expect(await ledgerNames(root, 'dev')).toEqual([]);

    const first = await cli(root, ['migrate', '--env', 'dev', '--to', '0002', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(lastJson(first.stdout)).toMatchObject({ to: '0002', databases: [{ applied: [name(1), name(2)], pending: [name(3), name(5)], requests: 1 }] });
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2)]);
    expect(await tableNames(root, 'dev')).not.toContain('t3');

    const unknown = await cli(root, ['migrate', '--env', 'dev', '--to', '0004']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--to 0004 names no migration file');
    expect(unknown.stderr).toContain(`0003 (${name(3)}) and 0005 (${name(5)})`);
    const future = await cli(root, ['migrate', '--env', 'dev', '--to', '0009']);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain(`beyond the newest migration, ${name(5)}`);
    expect(future.stderr).toContain('--to 0005');
    const garbage = await cli(root, ['migrate', '--env', 'dev', '--to', 'latest']);
    expect(garbage.code).toBe(2);
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2)]);

    const next = await cli(root, ['migrate', '--env', 'dev', '--to', '0003']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('1 later file(s) stay pending above --to 0003');
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2), name(3)]);
    // Below what is applied: nothing to do, and it says where to go back.
    const below = await cli(root, ['migrate', '--env', 'dev', '--to', '0001']);
    expect(below.code, below.stderr).toBe(0);
    expect(below.stdout).toContain('up to date at 0001');
    expect(below.stdout).toContain('promote rollback --to');
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2), name(3)]);
  });
});

describe('rollback --to on the local target', () => {
  it('undoes newest first with the rollback files, ledger and metadata rows with them, to the exact schema of the target', { timeout: 240_000 }, async () => {
    const root = await makeProject(files());
    // A promotion to dev: every migration applied and the Worker serving (the health checks need it).
    expect((await cli(root, ['--to', 'dev'])).code).toBe(0);
    expect((await cli(root, ['migrate', '--env', 'staging', '--to', '0002'])).code).toBe(0);

    const res = await cli(root, ['rollback', '--env', 'dev', '--to', '0002', '--json']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const report = lastJson(res.stdout);
    expect(report).toMatchObject({ type: 'rollback', environment: 'dev', to: '0002', ok: true, databases: [{ binding: 'DB', undone: [name(5), name(3)], kept: [name(1), name(2)], requests: 1 }] });
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2)]);
    expect((await queryEnv(root, 'dev', 'SELECT name FROM promote_migrations ORDER BY name')).map((r) => r.name)).toEqual([name(1), name(2)]);
    expect(await fingerprint(root, 'dev')).toEqual(await fingerprint(root, 'staging'));
    expect((await queryEnv(root, 'dev', 'SELECT count(*) AS n FROM promote_lock'))[0]!.n).toBe(0);

    // Again: nothing is above 0002 any more.
    const again = await cli(root, ['rollback', '--env', 'dev', '--to', '0002', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(lastJson(again.stdout)).toMatchObject({ databases: [{ undone: [], requests: 0 }], ok: true });
    // And forward again, the same files apply cleanly.
    expect((await cli(root, ['migrate', '--env', 'dev'])).code).toBe(0);
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2), name(3), name(5)]);
  });

  it('refuses --to with --bookmark, an unknown version, a migration above the target without a rollback file, and a rollback file that fails on scratch (exit 2, nothing undone)', { timeout: 180_000 }, async () => {
    const root = await makeProject({ ...files(), 'migrations/0006_t6.sql': migration(6) });
    expect((await cli(root, ['--to', 'dev'])).code).toBe(0);
    const before = await fingerprint(root, 'dev');

    const both = await cli(root, ['rollback', '--env', 'dev', '--to', '0002', '--bookmark', 'abc']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    const unknown = await cli(root, ['rollback', '--env', 'dev', '--to', '0004']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('0003 (0003_t3.sql) and 0005 (0005_t5.sql); 0000 undoes every migration');

    const missing = await cli(root, ['rollback', '--env', 'dev', '--to', '0002']);
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain('0006_t6.sql cannot be undone');
    expect(missing.stderr).toContain('migrations/rollback/0006_t6.rollback.sql');
    // 0005 and 0003 have rollback files, yet nothing was undone: the refusal comes before any write.
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2), name(3), name(5), name(6)]);
    expect(await fingerprint(root, 'dev')).toEqual(before);
    expect(await queryEnv(root, 'dev', 'SELECT run_id FROM promote_lock')).toEqual([]);

    // Above 0006 nothing needs a rollback file.
    const fine = await cli(root, ['rollback', '--env', 'dev', '--to', '0006']);
    expect(fine.code, fine.stderr).toBe(0);

    // A rollback file that cannot run is found on a scratch copy first: file:line, exit 2, nothing undone.
    await writeFiles(root, {
      'migrations/rollback/0006_t6.rollback.sql': rollback(6),
      'migrations/rollback/0003_t3.rollback.sql': 'DROP INDEX idx_t3_name;\nDROP TABLE no_such_table;\n',
    });
    const broken = await cli(root, ['rollback', '--env', 'dev', '--to', '0002']);
    expect(broken.code, broken.stderr).toBe(2);
    expect(broken.stderr).toContain('migrations/rollback/0003_t3.rollback.sql:2');
    expect(broken.stderr).toContain('no such table: no_such_table');
    expect(await ledgerNames(root, 'dev')).toEqual([name(1), name(2), name(3), name(5), name(6)]);
    expect(await fingerprint(root, 'dev')).toEqual(before);
  });

  it('runs the health checks afterwards: --to 0000 undoes everything, the checks fail, exit 4', { timeout: 180_000 }, async () => {
    const root = await makeProject(files());
    expect((await cli(root, ['--to', 'dev'])).code).toBe(0);
    const res = await cli(root, ['rollback', '--env', 'dev', '--to', '0000', '--json']);
    expect(res.code, res.stdout + res.stderr).toBe(4);
    expect(res.stderr).toContain('dev is not healthy after the rollback');
    const report = lastJson(res.stdout.split('\n').filter((l) => !l.includes('"type":"error"')).join('\n'));
    expect(report).toMatchObject({ type: 'rollback', to: '0000', ok: false, databases: [{ undone: [name(5), name(3), name(2), name(1)], kept: [] }] });
    // The Worker serves, and fails because what it reads is gone.
    expect(JSON.stringify(report.checks)).toContain('no such table: t1');
    expect(await ledgerNames(root, 'dev')).toEqual([]);
    expect((await fingerprint(root, 'dev')).objects).toEqual([]);
  });
});

describe('rollback --to killed with SIGKILL mid-way', () => {
  it('leaves ledger and schema consistent; the rerun undoes only what is still applied and ends exactly at the target', { timeout: 300_000 }, async () => {
    // Each rollback file over half the 100 KB batch budget, so each undo is its own batch (transaction),
    // and 0003's rollback slow, so the kill lands while its batch is in flight.
    const pad = (i: number) => `SELECT '${'x'.repeat(60_000)}' AS padding_${i};\n`;
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT count(*) FROM c;\n';
    const root = await makeProject(files([1, 2, 3, 5], { 1: pad(1), 2: pad(2), 3: pad(3) + slow, 5: pad(5) }));
    expect((await cli(root, ['--to', 'dev'])).code).toBe(0);
    expect((await cli(root, ['migrate', '--env', 'staging', '--to', '0001'])).code).toBe(0);

    const run = startCli(['rollback', '--env', 'dev', '--to', '0001', '--json', '--lock-ttl', '1500ms', '--cwd', root]);
    const first = await run.waitFor((e) => e.type === 'undone', 'the first undone batch');
    expect(first.migrations).toEqual([name(5)]);
    run.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.code).not.toBe(0);

    // Consistent whatever the kill interrupted: every migration in the ledger has its table, every other has none.
    const ledger = await ledgerNames(root, 'dev');
    expect(ledger).not.toContain(name(5));
    // The kill landed mid-way: 0002's batch is only sent after 0003's slow one answered.
    expect(ledger).toContain(name(2));
    const tables = (await tableNames(root, 'dev')).filter((t) => /^t\d+$/.test(t));
    expect(tables.sort()).toEqual(ledger.map((n) => /_(t\d+)\.sql$/.exec(n)![1]).sort());

    // The dead run's lease expires by itself (1.5 s); the rerun continues from the ledger.
    await new Promise((r) => setTimeout(r, 1_600));
    const rerun = await cli(root, ['rollback', '--env', 'dev', '--to', '0001', '--json']);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const undone = (lastJson(rerun.stdout).databases as { undone: string[] }[])[0]!.undone;
    // Only what was still applied, newest first: nothing undone twice.
    expect(undone).toEqual(ledger.filter((n) => n !== name(1)).reverse());
    expect(await ledgerNames(root, 'dev')).toEqual([name(1)]);
    expect(await fingerprint(root, 'dev')).toEqual(await fingerprint(root, 'staging'));
  });
});
