/**
 * Chaos: ten `promote --to production` at once on the same remote (cloudflare) project. dev's
 * health check soaks long enough that all ten collide on dev's lease: exactly one migrates and
 * promotes, the nine others exit 3 naming the holder, and no migration is applied twice.
 *
 * Runs: PROMOTE_CONCURRENT_RUNS (default 10). Rounds: PROMOTE_CONCURRENT_ROUNDS (default 1; 3 long).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { cleanupProjects } from '../helpers/project.js';
import { CF_ENVS, assertRemoteConsistent, cloudflareEnv, countedMigrations, jsonLines, leaseRow, migrationNames, remoteWorld, runPromote, summaryOf, trials } from './chaos-helpers.js';

const RUNS = trials('PROMOTE_CONCURRENT_RUNS', 10, 10);
const ROUNDS = trials('PROMOTE_CONCURRENT_ROUNDS', 1, 3);
const MIGRATIONS = 4;

let fake: FakeCloudflare;
beforeAll(async () => {
  fake = await startFakeCloudflare({ token: 'chaos-concurrent-token-9b2c4d' });
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await cleanupProjects();
});

/** dev's check soaks: the winner holds dev's lease long enough for every other run to collide with it. */
const soakDev = (env: string, base: string): string => (env === 'dev' ? base.replace('    retries: 1\n', '    retries: 1\n    soak: 25s\n') : base);

describe(`${RUNS} concurrent remote promotions of one project`, () => {
  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: exactly one migrates, the others exit 3, nothing applied twice`, async () => {
      const w = await remoteWorld(fake, countedMigrations(MIGRATIONS), { envFile: soakDev });
      try {
        expect(soakDev('dev', 'x    retries: 1\n')).toContain('soak: 25s');
        const env = cloudflareEnv(fake, w);
        const started = Date.now();
        const runs = await Promise.all(Array.from({ length: RUNS }, () => runPromote(['--to', 'production', '--json', '--cwd', w.root], env)));
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const codes = runs.map((r) => r.code).sort();
        const odd = runs.filter((r) => r.code !== 3 && r.code !== 0).map((r) => `exit ${r.code}: ${r.stderr.slice(-800)} ${r.stdout.trim().split('\n').at(-1)}`);
        expect(codes, odd.join('\n')).toEqual([0, ...Array.from({ length: RUNS - 1 }, () => 3)]);

        const winner = runs.find((r) => r.code === 0)!;
        const summary = summaryOf(winner.stdout)!;
        expect(summary.result).toBe('promoted');
        for (const s of summary.stages as { environment: string; migrations: string[]; workerVersion: string }[]) {
          expect(s.migrations, s.environment).toHaveLength(MIGRATIONS);
          expect(fake.activeVersion(w.scripts[s.environment]!), s.environment).toBe(s.workerVersion);
          // one deploy per environment: the losers deployed nothing
          expect(fake.scripts.get(w.scripts[s.environment]!)!.versions, s.environment).toHaveLength(1);
        }
        for (const loser of runs.filter((r) => r.code === 3)) {
          const last = summaryOf(loser.stdout) ?? {};
          expect(String(last.message ?? loser.stderr), loser.stderr).toMatch(/dev is locked by run r-\d{8}T\d{6}Z-[0-9a-f]{6}/);
          // a loser never got past dev's lock: it migrated nothing anywhere
          expect(jsonLines(loser.stdout).filter((e) => e.step === 'migrate' && e.type !== 'step.skipped').map((e) => e.type)).toEqual([]);
        }
        for (const e of CF_ENVS) {
          expect(await assertRemoteConsistent(fake, w.uuids[e]!, e)).toEqual(migrationNames(MIGRATIONS));
          expect(await leaseRow(fake, w.uuids[e]!), `${e}: lease released`).toBeUndefined();
        }
        console.log(`concurrent remote round ${round}: ${RUNS} runs in ${seconds} s, exits ${codes.join(',')}`);
      } finally {
        await w.close();
      }
    }, 240_000);
  }
});
