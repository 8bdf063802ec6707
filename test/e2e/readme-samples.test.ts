/**
 * The README's sample messages are the real ones: each sample block is checked
 * against what the real commands print for the repository's own example,
 * sanitized for times, durations and ids. A line `...` in a sample stands for
 * lines left out, `(...)` inside a line for text left out.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/project.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The fenced block that follows `marker` in the README. */
function blockAfter(marker: string): string {
  const at = README.indexOf(marker);
  expect(at, `README has "${marker}"`).toBeGreaterThanOrEqual(0);
  const open = README.indexOf('```', at);
  const start = README.indexOf('\n', open) + 1;
  return README.slice(start, README.indexOf('```', start));
}

function sanitize(line: string): string {
  return line
    .replace(/^\[ *\d+\.\d+s\]/, '[T]')
    .replace(/r-\d{8}T\d{6}Z-[0-9a-f]{6}/g, 'RUN')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}\b/g, 'BOOKMARK')
    .replace(/\d+(\.\d+)? (ms|s)\b/g, 'D')
    .replace(/ +/g, ' ')
    .trimEnd();
}

/** Each sample line matches a real line, in order; `...` skips any number of lines. */
function expectSampleIn(sample: string, real: string): void {
  const actual = real.split('\n').map(sanitize);
  let from = 0;
  for (const raw of sample.split('\n').filter((l) => l.trim() !== '')) {
    if (raw.trim() === '...') continue;
    const parts = sanitize(raw).split('(...)').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pattern = new RegExp(`^${parts.join('\\(.*\\)')}$`);
    const at = actual.findIndex((l, i) => i >= from && pattern.test(l));
    expect(at, `README line\n  ${raw}\nnot found (in order) in the real output:\n${real}`).toBeGreaterThanOrEqual(0);
    from = at + 1;
  }
}

describe('README samples are real output', () => {
  it('the first promotion of the example, and the command list', async () => {
    const root = await mkdtemp(join(tmpdir(), 'promote-readme-'));
    dirs.push(root);
    for (const p of ['pipeline', 'environments', 'migrations', 'seeds', 'app', 'wrangler.jsonc']) await cp(join(REPO, p), join(root, p), { recursive: true });
    const run = await runCli(['--to', 'production', '--cwd', root]);
    expect(run.code, run.stderr).toBe(0);
    expectSampleIn(blockAfter('What you see:'), run.stdout);

    const help = await runCli(['--help']);
    const usage = help.stdout.split('\n').map((l) => l.trim());
    for (const line of blockAfter('## Commands').split('\n').filter((l) => l.trim() !== '')) {
      expect(usage, `README command line not in promote --help:\n  ${line}`).toContain(line.trim());
    }

    // the JSON samples name the fields the real output has
    const status = JSON.parse((await runCli(['status', '--json', '--cwd', root])).stdout);
    const sample = JSON.parse(blockAfter('`status --json` prints one object:'));
    expect(Object.keys(sample.environments[0]).sort()).toEqual(Object.keys(status.environments[0]).sort());
    expect(Object.keys(sample.environments[0].databases[0]).sort()).toEqual(Object.keys(status.environments[0].databases[0]).sort());
    const summarySample = JSON.parse(blockAfter('one JSON object per transition with a summary last:'));
    const summary = JSON.parse((await runCli(['--to', 'production', '--json', '--cwd', root])).stdout.trim().split('\n').at(-1)!);
    for (const key of Object.keys(summarySample)) expect(summary, `summary field ${key}`).toHaveProperty(key);
    for (const key of Object.keys(summarySample.stages[0])) expect(summary.stages[0], `stage field ${key}`).toHaveProperty(key);
  });
});
