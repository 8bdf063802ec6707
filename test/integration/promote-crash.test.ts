/**
 * Crash safety: a promotion killed with SIGKILL at a random point, then
 * resumed, ends consistent: every ledger matches its schema, nothing is half-
 * or twice-applied, and the job finishes. Trials: PROMOTE_CRASH_TRIALS (default 4). The kill
 * points come from a seeded random (PROMOTE_TEST_SEED to choose it; printed when a trial fails).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, batchEnv, cleanupProjects, makeProject, queryEnv, runCli } from '../helpers/project.js';
import type { StatementResult } from '../../src/d1/connection.js';
import { lastJson, promotionFiles } from '../helpers/promotion-project.js';
import { randomForTest } from '../helpers/seeded-random.js';

afterAll(cleanupProjects);

const TRIALS = Number(process.env.PROMOTE_CRASH_TRIALS ?? 4);
const MIGRATIONS = 5;
const ENVS = ['dev', 'staging', 'production'];
const ALL = Array.from({ length: MIGRATIONS }, (_, i) => `${String(i + 1).padStart(4, '0')}_t${i + 1}.sql`);

/** Starts a promotion and SIGKILLs it when the k-th event line appears. */
function promoteAndKill(root: string, k: number): Promise<{ killedAfter: string; events: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--to', 'production', '--json', '--lock-ttl', '1500ms', '--cwd', root], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    let seen = 0;
    let last = '';
    child.stdout.on('data', (d) => {
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        seen += 1;
        last = line;
        if (seen === k) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve({ killedAfter: last.slice(0, 160), events: seen }));
  });
}

/** Two Miniflare starts per environment (one batch to list, one to read), not one per query: a trial is mostly these. */
async function assertConsistent(root: string, context: string): Promise<void> {
  for (const env of ENVS) {
    if (!existsSync(join(root, '.promote', 'envs', env, 'd1'))) continue;
    const [tableRows, ledgerTable] = await batchEnv(root, env, [
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*'",
      "SELECT name FROM sqlite_master WHERE name = 'd1_migrations'",
    ]);
    const names = (r: StatementResult | undefined): string[] => (r?.results ?? []).map((row) => String(row.name));
    const tables = names(tableRows);
    const hasLedger = names(ledgerTable).length > 0;
    const reads = [...(hasLedger ? ['SELECT name FROM d1_migrations ORDER BY id'] : []), ...tables.map((t) => `SELECT count(*) AS n FROM ${t}`)];
    const results = reads.length > 0 ? await batchEnv(root, env, reads) : [];
    const ledger = hasLedger ? names(results.shift()) : [];
    // ledger and schema agree: a migration is in both or in neither
    const expectedTables = ledger.map((n) => /_(t\d+)\.sql$/.exec(n)![1]).sort();
    expect([...tables].sort(), `${context}: ${env} tables vs ledger ${ledger.join(',')}`).toEqual(expectedTables);
    expect(new Set(ledger).size, `${context}: ${env} ledger has no duplicates`).toBe(ledger.length);
    // each migration ran exactly once: its one seed row
    tables.forEach((t, i) => expect(results[i]?.results?.[0]?.n, `${context}: ${env}.${t} rows`).toBe(1));
  }
}

describe('SIGKILL at a random point, then resume', () => {
  it(`ends consistent and finished, ${TRIALS} random kill points`, async () => {
    const template = promotionFiles(MIGRATIONS);
    // Spread kill points over the whole run (~40 events): one random point in each of TRIALS equal slices.
    const random = randomForTest('SIGKILL trials');
    const points = Array.from({ length: TRIALS }, (_, i) => 1 + Math.floor(((i + random.next()) / TRIALS) * 38));
    for (const k of points) {
      const root = await makeProject(template);
      const killed = await promoteAndKill(root, k);
      const context = `kill after event ${k} (${killed.killedAfter}; ${random.replay})`;
      await assertConsistent(root, context);
      const runs = existsSync(join(root, '.promote', 'runs'));
      // A run killed before it recorded anything cannot be resumed: a new run (queued behind the dead lease) finishes the job.
      const finish = runs
        ? await runCli(['resume', '--json', '--wait', '10s', '--cwd', root])
        : await runCli(['--to', 'production', '--json', '--wait', '10s', '--cwd', root]);
      const code = finish.code === 2 && /already finished/.test(finish.stderr) ? 0 : finish.code;
      if (finish.code === 2 && /already finished/.test(finish.stderr)) {
        // the kill landed after the run finished: nothing to resume
      } else {
        expect(code, `${context}: ${finish.stderr}${finish.stdout.slice(-400)}`).toBe(0);
        expect(lastJson(finish.stdout).result, context).toBe('promoted');
      }
      await assertConsistent(root, `${context}, after resume`);
      for (const env of ENVS) {
        const ledger = (await queryEnv(root, env, 'SELECT name FROM d1_migrations ORDER BY id')).map((r) => String(r.name));
        expect(ledger, `${context}: ${env} finished`).toEqual(ALL);
      }
      const status = JSON.parse((await runCli(['status', '--json', '--cwd', root])).stdout);
      for (const e of status.environments) expect(e.databases[0].pending, context).toEqual([]);
    }
  }, TRIALS * 60_000);
});

describe('SIGINT: stop at a safe point, release the lock, resume', () => {
  it('finishes the step in flight, exits 130 with locks released, and resume completes the run', async () => {
    const soak = `  - url: /health\n    soak: 3s\n    expect:\n      status: 200\n`;
    const root = await makeProject(promotionFiles(3, { staging: soak }));
    const child = spawn(process.execPath, [BIN, '--to', 'production', '--json', '--cwd', root], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let signalled = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!signalled && out.includes('"stage":"staging","step":"verify"')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    expect(code, out).toBe(130);
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; stage?: string; step?: string });
    // the verify that was running when Ctrl-C came finished, and nothing after the next safe point started
    expect(events.some((e) => e.type === 'step.succeeded' && e.stage === 'staging' && e.step === 'verify'), out).toBe(true);
    expect(events.some((e) => e.type === 'step.started' && e.stage === 'production')).toBe(false);
    expect(events.find((e) => e.type === 'run.interrupted')).toBeDefined();
    expect(events.at(-1)).toMatchObject({ type: 'summary', exitCode: 130 });
    // the lock is free
    expect(await queryEnv(root, 'staging', 'SELECT * FROM promote_lock')).toEqual([]);
    const runId = (events[0] as unknown as { runId: string }).runId;
    const record = JSON.parse(readFileSync(join(root, '.promote', 'runs', runId, 'run.json'), 'utf8'));
    expect(record.status).toBe('interrupted');

    const resumed = await runCli(['resume', '--json', '--cwd', root]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = lastJson(resumed.stdout) as { result: string; runId: string; stages: { result: string }[] };
    expect(summary.runId).toBe(runId);
    expect(summary.stages.map((s) => s.result)).toEqual(['promoted', 'promoted', 'promoted']);
    const journal = readFileSync(join(root, '.promote', 'runs', runId, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(journal.filter((e) => e.type === 'run.started').map((e) => e.resumed)).toEqual([false, true]);
    expect((await queryEnv(root, 'production', 'SELECT count(*) AS n FROM d1_migrations'))[0]!.n).toBe(3);
    // and once finished, there is nothing left to resume
    const again = await runCli(['resume', '--run', runId, '--cwd', root]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already finished');
  });
});
