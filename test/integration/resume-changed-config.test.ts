/**
 * `promote resume` refuses files changed since the run stopped, config
 * included: the pipeline (a bookmark turned off) and an environment's health
 * checks shape what the rest of the run does. Exit 2, naming what changed;
 * with the files put back, the same run finishes.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanupProjects, makeProject, runCli } from '../helpers/project.js';
import { lastJson, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

function interruptAtDevVerify(root: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--to', 'production', '--json', '--cwd', root], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1', GITHUB_ACTIONS: '', SLACK_WEBHOOK_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!sent && /"type":"step.started".*"stage":"dev","step":"verify"/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

describe('resume refuses changed config', () => {
  it('names the changed pipeline or environment part, exits 2, and resumes once the files are back', async () => {
    const root = await makeProject(promotionFiles(2));
    expect(await interruptAtDevVerify(root)).toBe(130);
    const pipeline = join(root, 'pipeline/pipeline.yaml');
    const production = join(root, 'environments/production.yaml');
    const original = { pipeline: readFileSync(pipeline, 'utf8'), production: readFileSync(production, 'utf8') };

    writeFileSync(pipeline, original.pipeline.replace('bookmark: true', 'bookmark: false'));
    const bookmarkOff = await runCli(['resume', '--cwd', root]);
    expect(bookmarkOff.code, bookmarkOff.stderr).toBe(2);
    expect(bookmarkOff.stderr).toContain('the config changed since run');
    expect(bookmarkOff.stderr).toContain('pipeline/pipeline.yaml: stages');
    writeFileSync(pipeline, original.pipeline);

    writeFileSync(production, original.production.replace('retries: 1', 'retries: 3'));
    const health = await runCli(['resume', '--cwd', root]);
    expect(health.code, health.stderr).toBe(2);
    expect(health.stderr).toContain('environments/production.yaml: health');
    expect(health.stderr).not.toContain('pipeline/pipeline.yaml');
    writeFileSync(production, original.production);

    const resumed = await runCli(['resume', '--json', '--cwd', root]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = lastJson(resumed.stdout) as { stages: { result: string; bookmark?: string }[] };
    expect(summary.stages.map((s) => s.result)).toEqual(['promoted', 'promoted', 'promoted']);
  });
});
