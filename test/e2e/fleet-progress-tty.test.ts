/**
 * A fleet's progress as a person sees it: the real CLI (dist/) on a pseudo-terminal (tmux,
 * which .ci/run installs), redrawing one bar line in place; and the same run piped, as in CI,
 * with plain lines and not one control sequence.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetFiles } from '../helpers/fleet-project.js';
import { BIN, cleanupProjects, cliEnv, makeProject, runCli } from '../helpers/project.js';

const SOCKET = `promote-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server was started, or it already ended
  }
  await cleanupProjects();
});

const TENANTS = 30;

describe('fleet progress on a terminal and in CI', { timeout: 240_000 }, () => {
  it('a TTY gets one bar line redrawn in place, ending at every tenant done', async () => {
    const root = await makeProject(fleetFiles({ tenants: TENANTS, concurrency: 2, migrations: 2, health: false }));
    // The terminal's environment: no CI, colors allowed; the command ends by printing its exit code.
    const env = cliEnv({ CI: undefined, NO_COLOR: undefined, GITHUB_ACTIONS: undefined, TERM: 'xterm-256color' });
    const script = join(root, 'run.sh');
    // tmux gives a new pane the environment of the server it started, CI=true included under CI: unset it there.
    await writeFile(script, `unset CI GITHUB_ACTIONS NO_COLOR\ncd ${JSON.stringify(root)}\n${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --to production\necho "EXIT=$?"\nsleep 60\n`);
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'fleet', '-x', '120', '-y', '50', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), `sh ${script}`);
    let pane = '';
    for (let i = 0; i < 900 && !/EXIT=\d+/.test(pane); i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      pane = tmux('capture-pane', '-p', '-t', 'fleet');
    }
    expect(pane, pane).toMatch(/EXIT=0/);
    const bars = pane.split('\n').filter((l) => l.includes('production/DB'));
    // redrawn, not appended: one bar line on the screen, not one per tenant or per frame
    expect(bars, pane).toHaveLength(1);
    expect(bars[0]).toMatch(new RegExp(`production/DB  \\[#+\\]  ${TENANTS}/${TENANTS}  ok ${TENANTS}  failed 0  running 0  [\\d.]+/s  took \\d+s`));
  });

  it('piped (not a TTY), the same run prints plain progress lines and no control sequence', async () => {
    const root = await makeProject(fleetFiles({ tenants: TENANTS, concurrency: 2, migrations: 2, health: false }));
    const res = await runCli(['--to', 'production', '--cwd', root], { env: { CI: undefined, NO_COLOR: undefined, GITHUB_ACTIONS: undefined, TERM: 'xterm-256color' } });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).not.toMatch(/\u001b/);
    const progress = res.stdout.split('\n').filter((l) => l.includes('production/DB:'));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(12);
    expect(progress.at(-1)).toMatch(new RegExp(`production/DB: ${TENANTS}/${TENANTS} done, 0 failed, 0 running`));
  });
});
