/**
 * The dashboard following a promotion that another process runs, from its first
 * transition to its summary, and the story of a run that rolled back
 * (examples/staging-breaks), in the system chromium.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchBrowser, startUi } from '../helpers/browser.js';
import { BIN, REPO, runCli, type CliResult } from '../helpers/project.js';

const dirs: string[] = [];
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function copy(source: string, parts?: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'promote-ui-live-'));
  dirs.push(root);
  if (parts) for (const p of parts) await cp(join(source, p), join(root, p), { recursive: true });
  else await cp(source, root, { recursive: true, filter: (src) => !src.slice(source.length).split(sep).some((p) => p === '.promote' || p === '.wrangler') });
  return root;
}

/** A promotion in its own process, not awaited: the page must learn of it from .promote/ alone. */
function promoteInBackground(root: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--to', 'production', '--cwd', root, '--wait', '60s'], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', CI: 'true', WRANGLER_SEND_METRICS: 'false', GITHUB_ACTIONS: '', SLACK_WEBHOOK_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface Seen {
  seq: number;
  runId: string;
  result: string;
  now: string;
  paintedAt: number;
}

// Promotions in spawned CLIs on a shared 2-core machine: minutes, not seconds, when it is busy.
describe('promote ui live view', { timeout: 300_000 }, () => {
  it('follows a promotion run by another process from start to finish', async () => {
    const root = await copy(REPO, ['app', 'environments', 'migrations', 'pipeline', 'wrangler.jsonc']);
    const first = await runCli(['--to', 'production', '--cwd', root]);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    await writeFile(join(root, 'migrations', '0004_tags.sql'), 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n');
    const ui = await startUi(root);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.setDefaultTimeout(120_000);
      await page.goto(ui.url);
      await expect.poll(() => page.locator('#live-status').textContent(), { timeout: 30_000 }).toBe('connected');
      expect(await page.locator('#live [data-live="idle"]').count()).toBe(1);
      expect(await page.locator('tr[data-migration="0004_tags.sql"] td.cell[data-state="pending"]').count()).toBe(3);

      const running = promoteInBackground(root);
      // Mid-run: the panel names the step in flight.
      await expect.poll(() => page.locator('#live [data-live="running"]').count(), { timeout: 60_000 }).toBe(1);
      await page.screenshot({ path: artifact('ui-live-running.png') });
      const res = await running;
      expect(res.code, res.stderr + res.stdout).toBe(0);
      await expect.poll(() => page.locator('#live [data-live="promoted"]').count(), { timeout: 30_000 }).toBe(1);

      const seen = (await page.evaluate('window.promoteTransitions')) as Seen[];
      const runId = seen.at(-1)!.runId;
      expect(seen.every((s) => s.runId === runId)).toBe(true);
      expect(seen.map((s) => s.seq)).toEqual([...seen.map((s) => s.seq)].sort((a, b) => a - b));
      // Transitions arrived one by one through every stage, in pipeline order, and ended promoted.
      // (The first may be the run starting, before its first step.)
      const steps = seen.filter((s) => s.result === 'running' && /^\w+: /.test(s.now));
      const stagesSeen = [...new Set(steps.map((s) => s.now.split(':')[0]))];
      expect(stagesSeen).toEqual(['dev', 'staging', 'production']);
      expect(steps.length).toBeGreaterThanOrEqual(9);
      expect(seen.at(-1)!.result).toBe('promoted');
      // Against the journal the other process wrote: same run, same end.
      const journal = readFileSync(join(root, '.promote', 'runs', runId, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; result?: string });
      expect(journal.at(-1)).toMatchObject({ type: 'summary', result: 'promoted' });
      expect(await page.locator(`#run-${runId} .result`).textContent()).toBe('✓ promoted');
      // After the run lets go of its environments, the matrix is read again.
      await expect.poll(() => page.locator('tr[data-migration="0004_tags.sql"] td.cell[data-state="applied"]').count(), { timeout: 30_000 }).toBe(3);
      // ...and the environments: their last run is this one.
      await expect.poll(() => page.locator('article.env[data-env="production"] a.run-link').textContent(), { timeout: 30_000 }).toBe(runId);
      await page.screenshot({ path: artifact('ui-live-finished.png'), fullPage: true });
      await page.close();
    } finally {
      await ui.stop();
    }
  });

  it('tells the story of a run that rolled back (examples/staging-breaks)', async () => {
    const root = await copy(join(REPO, 'examples', 'staging-breaks'));
    expect((await runCli(['--to', 'production', '--cwd', root])).code).toBe(0);
    await cp(join(root, 'change'), root, { recursive: true });
    const broken = await runCli(['--to', 'production', '--cwd', root, '--json']);
    expect(broken.code, broken.stderr).toBe(1);
    const ui = await startUi(root);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.setDefaultTimeout(120_000);
      await page.goto(ui.url);
      const run = page.locator('details.run').first();
      expect(await run.getAttribute('data-result')).toBe('rolled-back');
      await run.locator(':scope > summary').click();
      await run.locator('.run-body:not([data-lazy])').waitFor();
      const story = page.locator('details.run').first().locator('.story');
      const text = (await story.textContent()) ?? '';
      expect(text).toMatch(/staging: verify failed: .*no such column: title/);
      expect(text).toMatch(/staging: rolled back in \d.*down migrations/);
      expect(text).toContain('staging: after the rollback, verification passed');
      // The path: staging's verify drawn as the failing step, then rollback and reverify, production never reached.
      const labels = await run.locator('svg.state-path text').allTextContents();
      expect(labels).toEqual(expect.arrayContaining(['verify ✗', 'rollback ✓', 'reverify ✓', 'production (skipped)', 'rolled back']));
      expect(await run.locator('svg.state-path').getAttribute('aria-label')).toContain('staging: preflight succeeded');
      // Where a person acts: staging's card offers the promotion again once fixed; the Mermaid source is there to copy.
      expect(await run.locator('.mermaid-src pre').textContent()).toContain('stateDiagram-v2');
      await run.scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact('ui-rolled-back.png'), fullPage: true });
      await page.close();
    } finally {
      await ui.stop();
    }
  });
});
