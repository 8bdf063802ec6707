/**
 * Every stage's pending set is preflighted before the first lock of the run:
 * a migration that fails only on production's schema stops the run with exit 2,
 * naming production and the file:line, before dev or staging is touched.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { batchEnv, cleanupProjects, ledgerNames, makeProject, PIPELINE, runCli, writeFiles } from '../helpers/project.js';
import { promotionFiles } from '../helpers/promotion-project.js';

const APPLIED = ['0001_t1.sql', '0002_t2.sql'];
const runs = (root: string) => readdirSync(join(root, '.promote', 'runs')).length;

afterAll(cleanupProjects);

describe('preflight of every stage before any is touched', () => {
  it('a migration that fails only on production leaves dev and staging untouched', { timeout: 300_000 }, async () => {
    // The table added by hand is schema drift too; warn lets the run reach preflight, which is what this test is about.
    const root = await makeProject({ ...promotionFiles(2), 'pipeline/pipeline.yaml': `${PIPELINE}migrations:\n  schemaDrift: warn\n` });
    const first = await runCli(['--to', 'production'], { cwd: root });
    expect(first.code, first.stderr).toBe(0);
    // Someone added a table to production by hand; the next migration creates it too.
    await batchEnv(root, 'production', ['CREATE TABLE tags (id INTEGER PRIMARY KEY)']);
    await writeFiles(root, { 'migrations/0003_tags.sql': '-- tags for notes\nCREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n' });
    const runsBefore = runs(root);

    const run = await runCli(['--to', 'production'], { cwd: root });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('migrations/0003_tags.sql:2');
    expect(run.stderr).toContain('production/DB');
    expect(run.stderr).toMatch(/table `?tags`? already exists/);
    expect(run.stderr).toContain('no environment was changed');
    // No run started: nothing journaled, no lease taken, no file applied anywhere.
    expect(run.stdout).not.toContain('lock');
    expect(runs(root)).toBe(runsBefore);
    expect(await ledgerNames(root, 'dev')).toEqual(APPLIED);
    expect(await ledgerNames(root, 'staging')).toEqual(APPLIED);
    expect(await ledgerNames(root, 'production')).toEqual(APPLIED);
  });

  it('drift in a later stage is refused with its file before the first stage runs', { timeout: 300_000 }, async () => {
    const root = await makeProject(promotionFiles(2));
    expect((await runCli(['--to', 'production'], { cwd: root })).code).toBe(0);
    // production alone carries a file that is gone from the repository
    await batchEnv(root, 'production', ["INSERT INTO d1_migrations (name, applied_at) VALUES ('0003_hotfix.sql', '2026-01-01 00:00:00')"]);
    await writeFiles(root, { 'migrations/0003_other.sql': 'CREATE TABLE other (id INTEGER PRIMARY KEY);\n' });
    const run = await runCli(['--to', 'production'], { cwd: root });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('E_DRIFT_MISSING');
    expect(run.stderr).toContain('0003_hotfix.sql');
    expect(await ledgerNames(root, 'dev')).toEqual(APPLIED);
  });
});
