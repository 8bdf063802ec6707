/**
 * Chaos: a REMOTE promotion (dev, staging and production all target: cloudflare, on the fake
 * Cloudflare API, real wrangler deploys) SIGKILLed at a random point: the whole process group
 * (promote, and the wrangler or workerd it started) dies at once, as when a CI job is killed.
 *
 * After each kill:
 * - every database's ledger matches its schema: no migration half-applied or applied twice;
 * - the lock is recoverable: the killed run took a 2 s lease (--lock-ttl 2s), and it expires;
 * - `promote resume` (or, when the run had not been recorded yet, a new run with --wait) finishes;
 * - every database holds every migration exactly once, no lease is left behind, and the Worker
 *   serving in each environment is the version the final summary reports.
 *
 * Trials: PROMOTE_REMOTE_CRASH_TRIALS (default 2; 30 with PROMOTE_CHAOS=long). The kill points
 * and delays come from a seeded random (PROMOTE_TEST_SEED to choose it; printed when a trial fails).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { cleanupProjects } from '../helpers/project.js';
import {
  CF_ENVS,
  assertRemoteConsistent,
  cloudflareEnv,
  countedMigrations,
  jsonLines,
  leaseRow,
  migrationNames,
  promoteAndKill,
  remoteWorld,
  runPromote,
  summaryOf,
  trials,
} from './chaos-helpers.js';
import { randomForTest } from '../helpers/seeded-random.js';

const TRIALS = trials('PROMOTE_REMOTE_CRASH_TRIALS', 2, 30);
const MIGRATIONS = 4;
const ALL = migrationNames(MIGRATIONS);

let fake: FakeCloudflare;
beforeAll(async () => {
  fake = await startFakeCloudflare({ token: 'chaos-remote-crash-token-5e1f0a' });
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await cleanupProjects();
});

interface Stage {
  environment: string;
  result: string;
  workerVersion?: string;
}

/** The worker versions to expect: per environment, the last one a run's events reported as deployed or rolled back to. */
function reportedVersions(...stdouts: string[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const stdout of stdouts) {
    for (const e of jsonLines(stdout)) {
      const detail = e.detail as { workerVersion?: string } | undefined;
      if (typeof e.stage === 'string' && detail?.workerVersion) versions[e.stage] = detail.workerVersion;
    }
    const summary = summaryOf(stdout);
    for (const s of (summary?.stages ?? []) as Stage[]) if (s.workerVersion) versions[s.environment] = s.workerVersion;
  }
  return versions;
}

describe('SIGKILL at a random point of a remote promotion, then resume', () => {
  let calibration: { events: number; ms: number } | undefined;

  it('a clean remote promotion (calibration: how many events, how long)', async () => {
    const w = await remoteWorld(fake, countedMigrations(MIGRATIONS));
    try {
      const started = Date.now();
      const res = await runPromote(['--to', 'production', '--json', '--cwd', w.root], cloudflareEnv(fake, w));
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      calibration = { events: jsonLines(res.stdout).length, ms: Date.now() - started };
      const summary = summaryOf(res.stdout)!;
      for (const env of CF_ENVS) {
        expect(await assertRemoteConsistent(fake, w.uuids[env]!, env)).toEqual(ALL);
        const stage = (summary.stages as Stage[]).find((s) => s.environment === env)!;
        expect(fake.activeVersion(w.scripts[env]!), env).toBe(stage.workerVersion);
      }
    } finally {
      await w.close();
    }
  }, 120_000);

  it(`ends consistent, unlocked and finished after ${TRIALS} random kill points`, async () => {
    const total = calibration?.events ?? 40;
    // Spread the kill points over the whole run: the k-th event line (stratified), plus up to 1.5 s
    // of random delay, so kills also land inside wrangler deploys, D1 requests and health checks.
    // Near the end the events come fast, so the delay shrinks there; with 5 trials or more, the
    // first kill lands before any event (k = 0: a delay after the start), often before the run is recorded.
    const random = randomForTest('remote SIGKILL trials');
    const points = Array.from({ length: TRIALS }, (_, i) => {
      const k = TRIALS >= 5 && i === 0 ? 0 : 1 + Math.floor(((i + random.next()) / Math.max(TRIALS, 1)) * (total - 4));
      return { k, delayMs: Math.floor(random.next() * (k > total - 10 ? 200 : 1500)) };
    });
    const log: string[] = [];
    for (const [trial, { k, delayMs }] of points.entries()) {
      const w = await remoteWorld(fake, countedMigrations(MIGRATIONS));
      try {
        const env = cloudflareEnv(fake, w);
        const killed = await promoteAndKill(['--to', 'production', '--json', '--lock-ttl', '2s', '--cwd', w.root], env, k, delayMs);
        const context = `trial ${trial + 1} (${random.replay}): kill ${delayMs} ms after event ${k}/${total} (saw ${killed.events}; last: ${killed.lastEvent})`;

        // 1. right after the kill: consistent, whatever was in flight
        for (const e of CF_ENVS) await assertRemoteConsistent(fake, w.uuids[e]!, `${context}: ${e} after the kill`);

        // 2. finish the job: resume the recorded run, or start one queued behind the dead lease
        const runs = join(w.root, '.promote', 'runs');
        const finishedBeforeKill = !killed.killed && killed.code === 0;
        let finish;
        let how: string;
        if (finishedBeforeKill) {
          how = 'not killed: the run finished first';
          finish = killed;
        } else if (existsSync(runs)) {
          finish = await runPromote(['resume', '--json', '--wait', '30s', '--cwd', w.root], env);
          how = 'resume';
          if (finish.code === 2 && /already finished/.test(finish.stderr)) {
            how = 'resume: already finished';
            finish = killed;
          }
        } else {
          finish = await runPromote(['--to', 'production', '--json', '--wait', '30s', '--cwd', w.root], env);
          how = 'rerun (no run recorded)';
        }
        const ctx2 = `${context}; ${how}: exit ${finish.code}\n${finish.stderr.slice(-1500)}\n${finish.stdout.trim().split('\n').slice(-3).join('\n')}`;
        if (finish !== killed) {
          expect(finish.code, ctx2).toBe(0);
          expect(summaryOf(finish.stdout)?.result, ctx2).toBe('promoted');
        }

        // 3. finished, consistent, unlocked, and the Worker reported is the one serving
        const expected = reportedVersions(killed.stdout, finish === killed ? '' : finish.stdout);
        for (const e of CF_ENVS) {
          expect(await assertRemoteConsistent(fake, w.uuids[e]!, `${ctx2}: ${e} after finishing`), `${ctx2}: ${e}`).toEqual(ALL);
          expect(await leaseRow(fake, w.uuids[e]!), `${ctx2}: ${e} lease left behind`).toBeUndefined();
          const active = fake.activeVersion(w.scripts[e]!);
          expect(active, `${ctx2}: ${e} has a Worker`).toBeDefined();
          expect(active, `${ctx2}: ${e} serves the version the run reported`).toBe(expected[e]);
        }
        if (finish !== killed) {
          // the final summary names each stage's version (also those deployed before the kill)
          const stages = summaryOf(finish.stdout)!.stages as Stage[];
          for (const s of stages) expect(s.workerVersion, `${ctx2}: summary of ${s.environment}`).toBe(fake.activeVersion(w.scripts[s.environment]!));
        }
        log.push(`${context.split(' (saw')[0]} -> ${how}`);
      } finally {
        await w.close();
      }
    }
    console.log(`remote crash: ${TRIALS} trials, ${random.replay} (calibration ${calibration?.events} events, ${calibration?.ms} ms)\n  ${log.join('\n  ')}`);
  }, Math.max(120_000, TRIALS * 90_000));
});
