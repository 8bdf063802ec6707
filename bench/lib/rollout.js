// Local rollout figure: one local environment whose Worker rolls out 0% -> 50% -> 100%
// with a 1 s soak per step, behind the router Worker (Miniflare). The figure is
// the time the rollout takes beyond its soak: the deploy step (upload + the 0% split)
// plus the verify step (the walk: re-splitting Miniflare, the checks), minus steps x soak.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runChild } from './child.js';

export const ROLLOUT_STEPS = [0, 50, 100];
export const ROLLOUT_SOAK_MS = 1000;

const worker = (version) => `export default {
  async fetch(request, env) {
    const row = await env.DB.prepare('SELECT count(*) AS n FROM d1_migrations').first();
    return Response.json({ ok: true, version: '${version}', migrations: row.n });
  },
};
`;

function writeRolloutProject(dir) {
  for (const d of ['pipeline', 'environments', 'migrations', 'app']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'pipeline', 'pipeline.yaml'), 'name: bench-rollout\nstages:\n  - environment: production\nrollback:\n  database: none\n');
  writeFileSync(
    join(dir, 'environments', 'production.yaml'),
    `target: local\ndatabases:\n  - binding: DB\nworker:\n  main: app/worker.js\n  rollout:\n    steps: [${ROLLOUT_STEPS.join(', ')}]\n    soak: ${ROLLOUT_SOAK_MS}ms\nhealth:\n  - url: /health\n    timeout: 2s\n    expect:\n      status: 200\n      json:\n        ok: true\n`,
  );
  writeFileSync(join(dir, 'migrations', '0001_notes.sql'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n');
  writeFileSync(join(dir, 'app', 'worker.js'), worker('v1'));
}

/**
 * `runs` rollouts, each on a fresh copy of a project whose v1 is promoted (not timed),
 * with a v2 Worker to roll out. Resolves the per-run samples in ms.
 */
export async function benchRollout({ node, promote, runs, env, log, keep = false }) {
  const pristine = mkdtempSync(join(os.tmpdir(), 'promote-bench-rollout-'));
  const samples = { beyondSoak: [], verifyBeyondSoak: [], deployStep: [], wall: [] };
  try {
    writeRolloutProject(pristine);
    await runChild(node, [promote, '--to', 'production', '--json', '--cwd', pristine], { env, timeoutMs: 60_000 });
    writeFileSync(join(pristine, 'app', 'worker.js'), worker('v2'));
    log(`   prepared: v1 promoted, v2 written (not timed)`);
    for (let i = 0; i < runs; i++) {
      const dir = mkdtempSync(join(os.tmpdir(), 'promote-bench-rollout-run-'));
      try {
        cpSync(pristine, dir, { recursive: true });
        const r = await runChild(node, [promote, '--to', 'production', '--json', '--cwd', dir], { env, timeoutMs: 60_000 });
        const events = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
        const steps = events.filter((e) => e.type === 'rollout.step').map((e) => e.step);
        const got = steps.map((s) => `${s.percentage}${s.ok ? '' : '!'}`).join(',');
        if (got !== ROLLOUT_STEPS.join(',')) throw new Error(`expected rollout steps ${ROLLOUT_STEPS.join(',')}, got ${got}\n${r.stdout.slice(-2000)}`);
        const step = (name) => events.find((e) => e.type === 'step.succeeded' && e.step === name);
        const deploy = step('deploy');
        const verify = step('verify');
        const soak = ROLLOUT_STEPS.length * ROLLOUT_SOAK_MS;
        samples.beyondSoak.push(deploy.durationMs + verify.durationMs - soak);
        samples.verifyBeyondSoak.push(verify.durationMs - soak);
        samples.deployStep.push(deploy.durationMs);
        samples.wall.push(r.ms);
        log(`     rollout beyond soak ${deploy.durationMs + verify.durationMs - soak} ms (deploy ${deploy.durationMs} ms, verify ${verify.durationMs} ms); whole run ${r.ms} ms`);
      } finally {
        if (!keep) rmSync(dir, { recursive: true, force: true });
      }
    }
    return samples;
  } finally {
    if (!keep) rmSync(pristine, { recursive: true, force: true });
  }
}
