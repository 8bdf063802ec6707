import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanupProjects, makeProject, queryEnv, runCli, stateFingerprint, writeFiles } from '../helpers/project.js';
import { HEALTHY_WORKER, lastJson, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

describe('promote --to --dry-run', () => {
  it('prints the plan the machine would follow and touches nothing', async () => {
    const root = await makeProject(promotionFiles(2));
    const before = stateFingerprint(root);
    const res = await runCli(['--to', 'staging', '--dry-run', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('1. dev: preflight -> lock -> migrate -> deploy -> verify -> unlock');
    expect(res.stdout).toContain('2. staging: preflight -> lock -> migrate -> deploy -> verify -> unlock');
    expect(res.stdout).not.toContain('production');
    expect(res.stdout).toContain('migrations: 0001_t1.sql, 0002_t2.sql');
    const json = JSON.parse((await runCli(['--to', 'production', '--dry-run', '--json', '--cwd', root])).stdout);
    expect(json.stages.map((s: { environment: string }) => s.environment)).toEqual(['dev', 'staging', 'production']);
    expect(json.stages[2].steps).toContain('bookmark');
    expect(stateFingerprint(root)).toBe(before);
  });
});

describe('promote graph', () => {
  it('prints the machine built from the pipeline as Mermaid', async () => {
    const root = await makeProject(promotionFiles(1));
    const res = await runCli(['graph', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    const text = res.stdout;
    expect(text.startsWith('stateDiagram-v2')).toBe(true);
    expect(text).toContain('[*] --> dev__preflight');
    expect(text).toContain('production__lock --> production__bookmark');
    expect(text).toContain('staging__verify --> staging__rollback: failed');
    expect(text).toContain('staging__passed --> production__preflight: verified this change');
    expect(text).not.toContain('dev__bookmark');
  });
});

describe('promote rollback --env (by hand)', () => {
  it('restores the newest bookmark and the previous Worker, then verifies, and leaves no lock', { timeout: 300_000 }, async () => {
    const root = await makeProject(promotionFiles(2));
    expect((await runCli(['--to', 'production', '--cwd', root])).code).toBe(0);
    // v2: one more migration and a new Worker build
    await writeFiles(root, {
      'migrations/0003_t3.sql': 'CREATE TABLE t3 (id INTEGER PRIMARY KEY, name TEXT);\n',
      'app/worker.js': HEALTHY_WORKER.replace("'v1'", "'v2'"),
    });
    const v2 = await runCli(['--to', 'production', '--json', '--cwd', root]);
    expect(v2.code, v2.stderr).toBe(0);
    const bookmark = (lastJson(v2.stdout).stages as { bookmark?: string }[])[2]!.bookmark!;
    await queryEnv(root, 'production', "INSERT INTO t1 (name) VALUES ('written after the bookmark')");

    const res = await runCli(['rollback', '--env', 'production', '--json', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ type: 'rollback', environment: 'production', bookmark, ok: true });
    expect(typeof report.lostWritesWindowMs).toBe('number');
    // schema and rows as they were at the bookmark
    expect((await queryEnv(root, 'production', 'SELECT name FROM d1_migrations ORDER BY id')).map((r) => r.name)).toEqual(['0001_t1.sql', '0002_t2.sql']);
    expect(await queryEnv(root, 'production', "SELECT name FROM sqlite_master WHERE name = 't3'")).toEqual([]);
    expect(await queryEnv(root, 'production', "SELECT count(*) AS n FROM t1 WHERE name = 'written after the bookmark'")).toEqual([{ n: 0 }]);
    // staging keeps v2
    expect((await queryEnv(root, 'staging', 'SELECT count(*) AS n FROM d1_migrations'))[0]!.n).toBe(3);
    // The restored database held the lease row of the run that took the bookmark: the next run must not be locked by it.
    const again = await runCli(['--to', 'production', '--cwd', root]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('says so when there is no bookmark to restore', async () => {
    const root = await makeProject(promotionFiles(1));
    const res = await runCli(['rollback', '--env', 'dev', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no bookmark recorded for dev');
  });
});

describe('promote serve', () => {
  it('serves the current version on a loopback port until Ctrl-C', async () => {
    const root = await makeProject(promotionFiles(1));
    expect((await runCli(['--to', 'dev', '--cwd', root])).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'serve', '--env', 'dev', '--cwd', root], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`serve exited: ${out}`)));
    });
    const res = await fetch(new URL('/health', url));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, migrations: 1 });
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
  });
});
