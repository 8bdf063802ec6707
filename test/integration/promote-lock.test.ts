import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, ledgerNames, makeProject, runCli } from '../helpers/project.js';
import { lastJson, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

// dev soaks for 4 s, so the first run holds dev's lock long enough to collide with.
const SOAK = `  - url: /health
    soak: 4s
    expect:
      status: 200
`;

describe('the lock: one run per environment at a time', () => {
  it('a second run exits 3 at once naming the holder; with --wait it queues and then finishes', async () => {
    const root = await makeProject(promotionFiles(3, { dev: SOAK.replace('4s', '12s') }));
    let firstDone = false;
    const first = runCli(['--to', 'dev', '--cwd', root, '--json']).then((r) => {
      firstDone = true;
      return r;
    });
    // wait until the first run holds dev's lock
    await new Promise((r) => setTimeout(r, 3000));
    const second = await runCli(['--to', 'dev', '--cwd', root, '--json']);
    expect(second.code, second.stderr + second.stdout).toBe(3);
    // "at once": it did not wait for the holder to finish
    expect(firstDone).toBe(false);
    const summary = lastJson(second.stdout) as { result: string; message: string };
    expect(summary.result).toBe('failed');
    expect(summary.message).toMatch(/dev is locked by run r-\d{8}T\d{6}Z-[0-9a-f]{6} \(.+ pid \d+/);

    const third = runCli(['--to', 'dev', '--wait', '30s', '--cwd', root, '--json']);
    const a = await first;
    expect(a.code, a.stderr).toBe(0);
    const c = await third;
    expect(c.code, c.stderr).toBe(0);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_t1.sql', '0002_t2.sql', '0003_t3.sql']);
  });

  it('ten concurrent runs: exactly one migrates, the others exit 3, nothing is applied twice', async () => {
    // Ten CLI processes start slowly on two cores: the winner soaks long enough for all to collide.
    const root = await makeProject(promotionFiles(4, { dev: SOAK.replace('4s', '15s') }));
    const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(['--to', 'dev', '--cwd', root, '--json'])));
    const codes = runs.map((r) => r.code).sort();
    expect(codes, runs.filter((r) => r.code === 1).map((r) => r.stdout.trim().split('\n').at(-1)).join('\n')).toEqual([0, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(codes.filter((c) => c === 3)).toHaveLength(9);
    const winner = runs.find((r) => r.code === 0)!;
    expect((lastJson(winner.stdout).stages as { migrations: string[] }[])[0]!.migrations).toHaveLength(4);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_t1.sql', '0002_t2.sql', '0003_t3.sql', '0004_t4.sql']);
  });
});
