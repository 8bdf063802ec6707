/** Small things a new user hits in the first hour (issue 11, item 8), each through the real CLI. */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

describe('the first hour', () => {
  it('--dryrun suggests --dry-run instead of parseArgs text', async () => {
    const res = await runCli(['--dryrun', '--to', 'dev']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("promote: unknown option --dryrun (did you mean --dry-run?)\nRun 'promote --help' for usage.\n");
  });

  it('--wait 5 is refused: a duration says its unit', async () => {
    const root = await makeProject(promotionFiles(1));
    const res = await runCli(['--to', 'dev', '--wait', '5', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--wait 5: give a unit, e.g. 5s for seconds');
    expect((await runCli(['--help', '--to', 'dev'])).stdout).toContain('Durations (--wait, --lock-ttl) take a unit: 500ms, 30s, 2m.');
  });

  it('graph --json prints JSON, and the top-level help lists plan --json and graph --json', async () => {
    const root = await makeProject(promotionFiles(1));
    const res = await runCli(['graph', '--json', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    const graph = JSON.parse(res.stdout);
    expect(graph).toMatchObject({ type: 'graph', format: 'mermaid', stages: ['dev', 'staging', 'production'] });
    expect(graph.mermaid.startsWith('stateDiagram-v2')).toBe(true);
    const help = (await runCli(['--help'])).stdout;
    expect(help).toMatch(/promote plan \[--to <env>\] \[--comment\] \[--json\]/);
    expect(help).toMatch(/promote graph \[--to <env>\] \[--json\]/);
  });

  it('serve --port abc is bad input, not a stack trace', async () => {
    const root = await makeProject(promotionFiles(1));
    const res = await runCli(['serve', '--env', 'dev', '--port', 'abc', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('promote: --port abc: expected a port number from 1 to 65535\n');
  });

  it('serve --port <in use> says so and exits instead of hanging', async () => {
    const root = await makeProject(promotionFiles(1));
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const res = await runCli(['serve', '--env', 'dev', '--port', String(port), '--cwd', root]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`promote: dev: port ${port} on 127.0.0.1 is in use`);
      expect(res.stderr).toContain('fix: stop what listens there, or pick another port');
      expect(res.stderr).not.toContain('internal error');
    } finally {
      busy.close();
    }
  });
});
