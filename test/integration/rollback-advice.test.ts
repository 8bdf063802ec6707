/**
 * The rollback story says what is true: a first-ever promotion whose Worker
 * fails verification cannot go back to an earlier version, so that version
 * still serves (and `promote serve` serves it); time travel without a
 * bookmark names the policy and the missing bookmark: true.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { HEALTHY_WORKER, lastJson, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

const BROKEN_WORKER = HEALTHY_WORKER.replace("if (url.pathname === '/health') {", "if (url.pathname === '/health') {\n      return new Response('broken', { status: 500 });");

async function healthWhileServing(root: string): Promise<number> {
  const child = spawn(process.execPath, [BIN, 'serve', '--env', 'dev', '--cwd', root], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`serve exited: ${out}`)));
    });
    return (await fetch(new URL('/health', url))).status;
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.on('close', r));
  }
}

describe('rollback advice', () => {
  it('a failed first-ever Worker: says this run\'s version still serves, which promote serve confirms', async () => {
    const files = promotionFiles(1);
    const root = await makeProject({
      ...files,
      'pipeline/pipeline.yaml': files['pipeline/pipeline.yaml']!.replace('database: time-travel', 'database: none'),
      'app/worker.js': BROKEN_WORKER,
    });
    const res = await runCli(['--to', 'dev', '--json', '--cwd', root]);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const deployed = events.find((e) => e.type === 'step.succeeded' && e.step === 'deploy') as { detail?: { workerVersion?: string } } | undefined;
    const rolledBack = events.find((e) => e.type === 'step.succeeded' && e.step === 'rollback') as { detail?: { message?: string } } | undefined;
    expect(rolledBack?.detail?.message, res.stdout).toBe(`the Worker had no earlier version to go back to: version ${deployed?.detail?.workerVersion}, this run's, still serves`);
    expect(res.stdout).not.toContain('no longer serves');
    // verified again, the version that still serves is still unhealthy: a person must act
    expect(res.code, res.stderr).toBe(4);
    expect(lastJson(res.stdout)).toMatchObject({ exitCode: 4, action: expect.stringContaining('dev is still unhealthy after the rollback') });
    expect(res.stdout).not.toContain('the stage was rolled back');
    expect(await healthWhileServing(root)).toBe(500);
  });

  it('time travel without a bookmark names the policy and the missing bookmark: true, with no doubled space', async () => {
    const files = promotionFiles(1);
    const root = await makeProject({ ...files, 'migrations/rollback/0001_t1.rollback.sql': 'DROP TABLE t1;\n', 'app/worker.js': BROKEN_WORKER });
    const res = await runCli(['--to', 'dev', '--cwd', root]);
    expect(res.code, res.stderr).toBe(4);
    const text = res.stdout + res.stderr;
    expect(text).toContain('dev cannot be rolled back: rollback.database is time-travel, and its stage in pipeline/pipeline.yaml has no bookmark: true');
    expect(text).toContain('rollback.database: auto to use the rollback files these migrations have');
    expect(text).not.toContain('add rollback files');
    expect(text).not.toContain('cannot be undone with rollback files');
    // the summary line is prose: no doubled space where a name was missing (the columns before it are padded)
    expect(text.split('summary:')[1]).not.toMatch(/ {2}/);
  });
});
