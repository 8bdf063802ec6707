/**
 * `promote --to production | head -7` and `promote status | head -3`: the
 * reader leaves, every later write fails with EPIPE. Promote must not crash
 * holding a lock: the promotion stops at a safe point (exit 130, locks
 * released, so the next run is not locked) and status ends quietly.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanupProjects, makeProject, queryEnv, runCli } from '../helpers/project.js';
import { promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

/** Runs the CLI with stdout read like `| head -n`: after n lines the read end is closed. */
function pipedIntoHead(args: string[], lines: number): Promise<{ code: number | null; signal: string | null; head: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1', GITHUB_ACTIONS: '', SLACK_WEBHOOK_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let head = '';
    let stderr = '';
    // `| head -0`, or a reader gone before the first line: every write fails
    if (lines === 0) child.stdout.destroy();
    child.stdout.on('data', (d) => {
      head += d;
      if (head.split('\n').length > lines) {
        head = head.split('\n').slice(0, lines).join('\n');
        child.stdout.destroy();
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, head, stderr }));
  });
}

describe('stdout piped into head', () => {
  it('a promotion stops at a safe point and leaves no lock behind', async () => {
    const root = await makeProject(promotionFiles(2));
    const cut = await pipedIntoHead(['--to', 'production', '--cwd', root], 7);
    expect(cut.stderr).not.toContain('EPIPE');
    expect(cut.stderr).not.toContain('internal error');
    expect(cut.signal).toBeNull();
    expect(cut.code, cut.stderr).toBe(130);
    expect(await queryEnv(root, 'dev', 'SELECT * FROM promote_lock')).toEqual([]);
    // the next promotion is not locked out (exit 3) by the one that lost its reader
    const next = await runCli(['--to', 'production', '--cwd', root]);
    expect(next.code, next.stdout + next.stderr).toBe(0);
  });

  it('status ends quietly, whenever its reader leaves', async () => {
    const root = await makeProject(promotionFiles(2));
    expect((await runCli(['--to', 'production', '--cwd', root])).code).toBe(0);
    const cut = await pipedIntoHead(['status', '--cwd', root], 3);
    expect(cut.head.split('\n')).toHaveLength(3);
    expect(cut.stderr).toBe('');
    expect(cut.code).toBe(0);
    const gone = await pipedIntoHead(['status', '--cwd', root], 0);
    expect(gone.stderr).toBe('');
    expect(gone.code).toBe(0);
  });
});
