import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';

afterAll(cleanupProjects);

/** The bin itself (spawned): help, version and a refusal reach the process's output and exit code. The rest runs main() in-process. */
describe('the CLI surface', () => {
  it('--help lists every command and the exit codes', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const word of ['--to <env>', 'validate', 'plan', 'status', 'migrate --env', 'new <slug>', 'baseline --env', '--cwd', 'NO_COLOR', '3 locked']) {
      expect(res.stdout).toContain(word);
    }
  });

  it('--version prints package.json version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect((await runCli(['--version'])).stdout.trim()).toBe(pkg.version);
  });

  it('unknown commands and options exit 2 with a pointer to help', async () => {
    const cmd = await runCli(['migrat', '--env', 'dev']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("unknown command 'migrat' (did you mean 'migrate'?)");
    const opt = await runCli(['status', '--envv', 'dev']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain('unknown option --envv (did you mean --env?)');
    const misplaced = await runCli(['status', '--rollback']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('status does not take --rollback');
  });

  it('migrate without --env is invalid input', async () => {
    const root = await makeProject();
    const res = await runInProcess(['migrate', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--env');
  });

  it('--cwd pointing at a folder without a project says what to do', async () => {
    const root = await makeProject({ 'README.md': 'not a project' });
    const res = await runInProcess(['validate', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('pipeline/pipeline.yaml');
    expect(res.stderr).toContain('fix:');
  });

  it('validate succeeds on the repository example and prints no color when piped', async () => {
    const res = await runInProcess(['validate', '--cwd', REPO], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("pipeline 'example' (dev -> staging -> production)");
    expect(res.stdout + res.stderr).not.toContain('\u001b[');
  });

  it('promote new creates the next numbered file (and its rollback where wrangler does not look)', async () => {
    const root = await makeProject();
    const res = await runInProcess(['new', 'Add tags', '--rollback', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('created migrations/0003_add_tags.sql');
    expect(res.stdout).toContain('created migrations/rollback/0003_add_tags.rollback.sql');
    const text = readFileSync(join(root, 'migrations/0003_add_tags.sql'), 'utf8');
    expect(text).toMatch(/^-- Migration number: 0003 \t \d{4}-\d{2}-\d{2}T/);
    expect(existsSync(join(root, 'migrations/rollback/0003_add_tags.rollback.sql'))).toBe(true);
    // a fresh file has no SQL yet: validate says so (exit 2) instead of applying an empty migration
    const v = await runInProcess(['validate', '--cwd', root]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('migrations/0003_add_tags.sql');
    expect(v.stderr).toContain('E_EMPTY_FILE');
  });

  it('plan --to lists pending migrations per stage in pipeline order', async () => {
    const root = await makeProject();
    const res = await runInProcess(['plan', '--to', 'staging', '--json', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout);
    expect(plan.stages.map((s: { environment: string }) => s.environment)).toEqual(['dev', 'staging']);
    expect(plan.stages[1].databases[0].pending).toEqual(['0001_init.sql', '0002_notes.sql']);
    const bad = await runInProcess(['plan', '--to', 'prod', '--cwd', root]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("did you mean 'production'");
  });
});
