/**
 * The lock, with real processes racing for it. Nothing here sleeps: the holder keeps dev's lock
 * in its verify step, whose last health check is a gate (test/helpers/gate-server.ts) that answers
 * only when the test releases it; the test waits for the runs' own --json events (the holder's
 * `lock` step succeeded, the queued run's preflight started) and for processes to exit.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, ledgerNames, makeProject, runCli } from '../helpers/project.js';
import { lastJson, promotionFiles } from '../helpers/promotion-project.js';
import { startCli, type CliEvent } from '../helpers/cli-process.js';
import { startGate, type Gate } from '../helpers/gate-server.js';

afterAll(cleanupProjects);

let gate: Gate | undefined;
afterEach(async () => {
  await gate?.close();
  gate = undefined;
});

const isStep =
  (outcome: 'started' | 'succeeded', step: string) =>
  (e: CliEvent): boolean =>
    e.type === `step.${outcome}` && e.stage === 'dev' && e.step === step;

describe('the lock: one run per environment at a time', () => {
  it('a second run exits 3 at once naming the holder; with --wait it queues and then finishes', async () => {
    gate = await startGate();
    const root = await makeProject(promotionFiles(3, { dev: gate.healthCheck }));
    const first = startCli(['--to', 'dev', '--cwd', root, '--json']);
    await first.waitFor(isStep('succeeded', 'lock'), "dev's lock step succeeding");
    const second = await runCli(['--to', 'dev', '--cwd', root, '--json']);
    expect(second.code, second.stderr + second.stdout).toBe(3);
    // "at once": it did not wait for the holder, which is still held at the gate
    expect(first.finished).toBe(false);
    // Refused before its run started (every stage is opened before the first lock): an error, no summary.
    const error = lastJson(second.stdout) as { type: string; message: string };
    expect(error.type).toBe('error');
    expect(error.message).toMatch(/dev is locked by run r-\d{8}T\d{6}Z-[0-9a-f]{6} \(.+ pid \d+/);

    const third = startCli(['--to', 'dev', '--wait', '60s', '--cwd', root, '--json']);
    // A local environment is held by its run from the moment it opens it, before the run's first step: it queues there and says so.
    await third.waitForStderr('waiting up to 60 s');
    expect(first.finished).toBe(false);
    gate.release();
    const a = await first.done;
    expect(a.code, a.stderr).toBe(0);
    const c = await third.done;
    expect(c.code, c.stderr).toBe(0);
    // Queued: it got dev only after the first run let go, and found nothing left to apply.
    const released = first.events.find(isStep('succeeded', 'unlock'));
    const opened = third.events.find(isStep('succeeded', 'preflight'));
    expect(released, a.stdout).toBeDefined();
    expect(opened, c.stdout).toBeDefined();
    expect(Date.parse(opened!.at!)).toBeGreaterThanOrEqual(Date.parse(released!.at!));
    expect((lastJson(c.stdout).stages as { migrations: string[] }[])[0]!.migrations).toEqual([]);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_t1.sql', '0002_t2.sql', '0003_t3.sql']);
  });

  it('ten concurrent runs: exactly one migrates, the others exit 3, nothing is applied twice', async () => {
    gate = await startGate();
    const root = await makeProject(promotionFiles(4, { dev: gate.healthCheck }));
    const runs = Array.from({ length: 10 }, () => startCli(['--to', 'dev', '--cwd', root, '--json']));
    // The winner waits at the gate until the nine others have exited; a second run reaching the gate
    // (two holders) releases it too, and the counts below fail.
    const othersDone = new Promise<void>((resolve) => {
      let exited = 0;
      for (const r of runs) void r.done.then(() => ++exited === 9 && resolve());
    });
    await Promise.race([othersDone, gate.arrived(2)]);
    gate.release();
    const results = await Promise.all(runs.map((r) => r.done));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.filter((r) => r.code === 1).map((r) => r.stdout.trim().split('\n').at(-1)).join('\n')).toEqual([0, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(gate.requests).toBe(1);
    const winner = results.find((r) => r.code === 0)!;
    expect((lastJson(winner.stdout).stages as { migrations: string[] }[])[0]!.migrations).toHaveLength(4);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_t1.sql', '0002_t2.sql', '0003_t3.sql', '0004_t4.sql']);
  });
});
