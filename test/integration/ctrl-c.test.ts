/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group,
 * promote's workerd and esbuild children included. The CLI is spawned
 * detached, so it leads its own group, and the group is signalled. Promote
 * must stop at a safe point (exit 130) with its runtimes still answering, and
 * `promote resume` must finish the run. And when promote itself is SIGKILLed,
 * its workerd processes must not outlive it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { lastJson, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

const ENV = { ...process.env, CI: 'true', NO_COLOR: '1', GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined, SLACK_WEBHOOK_URL: undefined };

/** Starts `promote --to production --json` in its own process group; `onLine` sees each event line. */
function promoteInGroup(root: string, onLine: (line: string, pid: number) => void): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--to', 'production', '--json', '--cwd', root], {
      env: Object.fromEntries(Object.entries(ENV).filter(([, v]) => v !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let buffer = '';
    child.stdout.on('data', (d) => {
      out += d;
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) onLine(line, child.pid!);
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

function isStart(line: string, stage: string, step: string): boolean {
  return line.includes('"type":"step.started"') && line.includes(`"stage":"${stage}"`) && line.includes(`"step":"${step}"`);
}

describe('Ctrl-C to the whole process group', () => {
  for (const [stage, step] of [
    ['staging', 'migrate'],
    ['staging', 'verify'],
    ['production', 'deploy'],
  ] as const) {
    it(`during ${stage} ${step}: stops at a safe point, and resume finishes with exit 0`, async () => {
      const root = await makeProject(promotionFiles(3));
      let sent = false;
      const run = await promoteInGroup(root, (line, pid) => {
        if (!sent && isStart(line, stage, step)) {
          sent = true;
          process.kill(-pid, 'SIGINT');
        }
      });
      expect(sent, run.out).toBe(true);
      expect(run.code, run.out).toBe(130);
      // the step in flight finished: the runtime under it survived the terminal's SIGINT
      expect(run.out).toContain(`"type":"step.succeeded","runId"`);
      expect(run.out.split('\n').some((l) => l.includes('"type":"step.succeeded"') && l.includes(`"stage":"${stage}"`) && l.includes(`"step":"${step}"`)), run.out).toBe(true);
      expect(run.out).not.toContain('"type":"step.failed"');
      const resumed = await runCli(['resume', '--json', '--cwd', root]);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect((lastJson(resumed.stdout) as { stages: { result: string }[] }).stages.map((s) => s.result)).toEqual(['promoted', 'promoted', 'promoted']);
    });
  }

  it.runIf(process.platform === 'linux')('a SIGKILLed promote leaves no workerd behind', async () => {
    const root = await makeProject(promotionFiles(3));
    let children: number[] = [];
    const run = await promoteInGroup(root, (line, pid) => {
      if (children.length === 0 && isStart(line, 'staging', 'migrate')) {
        children = execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').map(Number);
        process.kill(pid, 'SIGKILL');
      }
    });
    expect(run.signal).toBe('SIGKILL');
    const workerds = children.filter((p) => {
      try {
        return execFileSync('ps', ['-o', 'args=', '-p', String(p)]).toString().includes('workerd');
      } catch {
        return false;
      }
    });
    expect(workerds.length, 'workerd children at the kill').toBeGreaterThan(0);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 5_000;
    while (workerds.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(workerds.filter(alive)).toEqual([]);
  });
});
