/**
 * The report a run writes (--report) and `promote report --merge` over real files:
 * the CLI in-process against a real local project (Miniflare).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, stateFingerprint } from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';
import { promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

describe('promote --report', () => {
  it('writes one entry per stage database with its result; --shard refuses bad values with exit 2 and touches nothing', async () => {
    const root = await makeProject(promotionFiles(2));
    const before = stateFingerprint(root);
    const bad = await runInProcess(['--to', 'staging', '--shard', '5/4', '--cwd', root]);
    expect(bad.code).toBe(2);
    expect(stateFingerprint(root)).toBe(before);
    expect(bad.stderr).toContain('--shard 5/4: there is no shard 5 of 4; write --shard <i>/<n>');

    // In GitHub Actions: the same entries are the step's `runs` output.
    const outputs = join(root, 'github-output.txt');
    await writeFile(outputs, '');
    const res = await runInProcess(['--to', 'staging', '--report', 'out/report.json', '--cwd', root], { env: { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: outputs } });
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(root, 'out', 'report.json'), 'utf8'));
    expect(report).toMatchObject({ version: 1, exitCode: 0, runs: [
      { environment: 'dev', database: 'DB', result: 'applied', migrations: ['0001_t1.sql', '0002_t2.sql'] },
      { environment: 'staging', database: 'DB', result: 'applied', migrations: ['0001_t1.sql', '0002_t2.sql'] },
    ] });
    expect(report.runId).toMatch(/\S/);
    expect(report.runs[0].version).toMatch(/\S/);
    expect(report.shard).toBeUndefined();
    const written = readFileSync(outputs, 'utf8');
    const runs = /^runs<<(\S+)\n([\s\S]*?)\n\1$/m.exec(written);
    expect(runs, written).not.toBeNull();
    expect(JSON.parse(runs![2]!)).toEqual(report.runs);

    // Merged alone, it is a summary with exit 0.
    const merged = await runInProcess(['report', '--merge', 'out/report.json', '--cwd', root]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('  staging/DB  1 applied');
    expect(merged.stdout).toContain('result: ok');
  }, 120_000);
});

describe('promote report --merge', () => {
  const entry = (tenant: string, result: string) => ({ environment: 'production', database: 'TENANTS', tenant, result, migrations: [] });
  const shard = (index: number, count: number, runs: unknown[]) => JSON.stringify({ version: 1, runId: `r${index}`, shard: { index, count }, exitCode: 0, runs });

  it('one summary, the failed tenants by name, exit 1', async () => {
    const root = await makeProject({});
    await writeFile(join(root, 'a.json'), shard(1, 2, [entry('acme', 'applied'), entry('initech', 'failed')]));
    await writeFile(join(root, 'b.json'), shard(2, 2, [entry('globex', 'unchanged')]));
    const res = await runInProcess(['report', '--merge', 'a.json', 'b.json', '--cwd', root]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('production/TENANTS  3 tenants: 1 applied, 1 unchanged, 1 failed');
    expect(res.stdout).toContain('production/TENANTS tenant initech: failed');
    const json = await runInProcess(['report', '--merge', 'a.json', 'b.json', '--json', '--cwd', root]);
    expect(JSON.parse(json.stdout)).toMatchObject({ type: 'report', shards: 2, exitCode: 1, failed: [{ tenant: 'initech' }] });
  });

  it('exit 2 naming a bad file, or a missing shard', async () => {
    const root = await makeProject({});
    await writeFile(join(root, 'a.json'), shard(1, 3, [entry('acme', 'applied')]));
    await writeFile(join(root, 'c.json'), shard(3, 3, []));
    await writeFile(join(root, 'junk.json'), '{"version":1,"runs":[]}');
    const missing = await runInProcess(['report', '--merge', 'a.json', 'c.json', '--cwd', root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('shard 2/3 missing');
    const junk = await runInProcess(['report', '--merge', 'a.json', 'junk.json', 'nope.json', '--cwd', root]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain('junk.json: not a promote report: runId: expected a non-empty string; exitCode: expected an integer');
    expect(junk.stderr).toContain('nope.json: cannot be read (ENOENT)');
    const none = await runInProcess(['report', '--cwd', root]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('promote report needs --merge');
  });
});
