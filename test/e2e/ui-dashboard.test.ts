/**
 * `promote ui` and `status --html` in a real browser (the system chromium): the
 * repository's example after a promotion, the matrix read against `status --json`,
 * the keyboard, the token, and what the page does with a crashed run's torn journal
 * and an environment another process holds.
 */
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchBrowser, startUi, type UiProcess } from '../helpers/browser.js';
import { REPO, runCli } from '../helpers/project.js';

interface StatusJson {
  environments: { name: string; databases: { binding: string; applied: string[]; pending: string[]; drift: { name: string; reason: string }[]; unverified: string[] }[] }[];
}

/** The repository's own example project (app/, environments/, migrations/, pipeline/), copied. */
async function copyRepositoryExample(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'promote-ui-'));
  for (const part of ['app', 'environments', 'migrations', 'pipeline', 'wrangler.jsonc']) await cp(join(REPO, part), join(root, part), { recursive: true });
  return root;
}

/** What a cell must say for a migration, from `status --json`. */
function expectedState(db: StatusJson['environments'][number]['databases'][number], name: string): string {
  if (db.drift.some((d) => d.name === name)) return db.drift.find((d) => d.name === name)!.reason === 'file missing' ? 'missing' : 'drift';
  if (db.unverified.includes(name)) return 'unverified';
  if (db.applied.includes(name)) return 'applied';
  if (db.pending.includes(name)) return 'pending';
  return 'absent';
}

async function matrixCells(page: Page): Promise<{ env: string; migration: string; state: string; text: string }[]> {
  return page.$$eval('table.matrix td.cell', (tds) =>
    tds.map((td) => ({ env: td.getAttribute('data-env')!, migration: td.closest('tr')!.getAttribute('data-migration')!, state: td.getAttribute('data-state')!, text: td.textContent ?? '' })),
  );
}

let browser: Browser;
let root: string;
let ui: UiProcess | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  root = await copyRepositoryExample();
  const res = await runCli(['--to', 'production', '--cwd', root]);
  expect(res.code, res.stderr + res.stdout).toBe(0);
  // One more migration, not promoted: those cells are pending.
  await writeFile(join(root, 'migrations', '0004_tags.sql'), 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n');
}, 300_000);

afterAll(async () => {
  await ui?.stop();
  await browser?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

// Promotions in spawned CLIs on a shared 2-core machine: minutes, not seconds, when it is busy.
describe('promote ui in chromium', { timeout: 300_000 }, () => {
  it('shows every cell as status --json reports it, in words, and status --html writes the same matrix', async () => {
    const status = await runCli(['status', '--json', '--cwd', root, '--html', join(root, 'status.html')]);
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as StatusJson;
    ui = await startUi(root);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(120_000);
    await page.goto(ui.url);
    await page.locator('table.matrix').waitFor();
    const cells = await matrixCells(page);
    const expected = json.environments.flatMap((e) =>
      e.databases.flatMap((db) => [...new Set([...db.applied, ...db.pending])].map((m) => ({ env: e.name, migration: m, state: expectedState(db, m) }))),
    );
    expect(cells.map(({ env, migration, state }) => ({ env, migration, state })).sort(byKey)).toEqual(expected.sort(byKey));
    // Text, not colour alone.
    for (const c of cells) expect(c.text).toMatch(c.state === 'pending' ? /pending/ : /applied/);
    expect(cells.filter((c) => c.state === 'pending').map((c) => c.migration)).toEqual(['0004_tags.sql', '0004_tags.sql', '0004_tags.sql']);
    // Environments: the Worker serving, from the local deployment history; the production bookmark.
    const production = page.locator('article.env[data-env="production"]');
    await expect.poll(() => production.textContent(), { timeout: 30_000 }).toMatch(/Last bookmark\s*[0-9a-f]{6}/);
    expect(await production.locator('code.id').first().getAttribute('data-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    await page.screenshot({ path: artifact('ui-after-promotion.png'), fullPage: true });

    const file = await browser.newPage();

    file.setDefaultTimeout(120_000);
    await file.goto(pathToFileURL(join(root, 'status.html')).href);
    const fromFile = await matrixCells(file);
    expect(fromFile.map(({ env, migration, state }) => ({ env, migration, state })).sort(byKey)).toEqual(expected.sort(byKey));
    // Self-contained: no request leaves the file (no src= or href= to anything but anchors).
    const html = await readFile(join(root, 'status.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(?!#)/);
    await file.screenshot({ path: artifact('status-html.png'), fullPage: true });
    await file.close();
    await page.close();
  });

  it('moves through the matrix with Tab and the arrow keys, focus visible, Enter explains the cell', async () => {
    ui ??= await startUi(root);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(120_000);
    await page.goto(ui.url);
    // Browser-side code as strings: the tests are type-checked without the DOM library.
    const focused = () =>
      page.evaluate(`(() => { const a = document.activeElement; return { tag: a?.tagName, env: a?.getAttribute('data-env'), migration: a?.closest('tr')?.getAttribute('data-migration') }; })()`) as Promise<{ tag?: string; env?: string; migration?: string }>;
    // Tab from the top until the grid's one tab stop is reached.
    for (let i = 0; i < 60 && (await focused()).tag !== 'TD'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ tag: 'TD', env: 'dev', migration: '0001_init.sql' });
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toMatchObject({ env: 'staging', migration: '0001_init.sql' });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toMatchObject({ env: 'staging', migration: '0004_tags.sql' });
    await page.keyboard.press('End');
    expect(await focused()).toMatchObject({ env: 'production', migration: '0004_tags.sql' });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#cell-detail').textContent(), { timeout: 30_000 }).toContain('promote --to production');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
    // Only one cell is in the Tab order: Tab leaves the grid.
    expect(await page.locator('td.cell[tabindex="0"]').count()).toBe(1);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#cell-detail').textContent(), { timeout: 30_000 }).toMatch(/applied 20\d\d-.*by run r-.*in \d+ ms/);
    await page.screenshot({ path: artifact('ui-keyboard.png') });
    await page.close();
  });

  it('runs the health checks on demand and shows their latencies', async () => {
    ui ??= await startUi(root);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(120_000);
    await page.goto(ui.url);
    await page.locator('button[data-health="staging"]').click();
    const out = page.locator('#health-staging');
    await expect.poll(() => out.textContent(), { timeout: 60_000 }).toMatch(/healthy/);
    expect(await out.textContent()).toMatch(/✓ passed: GET \/health — status 200, \d+ ms/);
    await page.locator('#plan-form button').click();
    await expect.poll(() => page.locator('#plan-result').textContent(), { timeout: 60_000 }).toContain('+ 0004_tags.sql');
    expect(await page.locator('#plan-result').textContent()).toContain('promote --to production');
    // each pending migration carries its expand/contract class
    expect(await page.locator('#plan-result').textContent()).toMatch(/\+ 0004_tags\.sql\s*expand/);
    await page.screenshot({ path: artifact('ui-health-and-plan.png'), fullPage: true });
    await page.close();
  });

  it('shows what it can of a crashed run (torn last line) and an environment another process holds, without waiting', async () => {
    ui ??= await startUi(root);
    // A crashed run: two events, then a line cut off mid-write; no run.json.
    const runId = 'r-20991231T235959Z-dead01';
    await mkdir(join(root, '.promote', 'runs', runId), { recursive: true });
    const at = new Date().toISOString();
    const journal = join(root, '.promote', 'runs', runId, 'journal.ndjson');
    await writeFile(
      journal,
      `${JSON.stringify({ type: 'run.started', runId, at, pipeline: 'example', to: 'staging', stages: ['dev', 'staging'], dryRun: false, resumed: false })}\n` +
        `${JSON.stringify({ type: 'step.started', runId, at, stage: 'dev', step: 'preflight' })}\n` +
        '{"type":"step.succeeded","runId":"' + runId + '","at":"' + at + '","stage":"dev","st',
    );
    // The crash was a minute ago.
    const past = new Date(Date.now() - 60_000);
    await utimes(journal, past, past);
    // staging held by a live process (this test's) as a promotion would hold it.
    const lock = join(root, '.promote', 'envs', 'staging', 'promote.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), owner: 'tester@ci pid 1', runId: 'r-other', command: '--to staging', since: at }));
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(120_000);
      await page.goto(ui.url);
      // Named from the lock file, not learnt by waiting 15 s for the lock (that would read "could not read: ... locked").
      const card = page.locator('article.env[data-env="staging"]');
      expect(await card.textContent()).toContain('busy: held by run r-other (tester@ci pid 1, `promote --to staging`');
      const stagingCells = await page.$$eval('td.cell[data-env="staging"]', (tds) => tds.map((t) => t.textContent));
      expect(new Set(stagingCells)).toEqual(new Set(['? unknown']));
      // dev and production were still read.
      expect(await page.locator('td.cell[data-env="dev"][data-state="applied"]').count()).toBe(3);
      const run = page.locator(`#run-${runId}`);
      await run.locator(':scope > summary').click();
      // The story is read from the journal when the run is opened.
      await run.locator('.run-body:not([data-lazy])').waitFor();
      const text = await run.textContent();
      expect(text).toContain('‖ interrupted');
      expect(text).toContain('1 journal line could not be read');
      expect(text).toContain('preflight');
      expect(text).toContain(`promote resume --run ${runId}`);
      await page.screenshot({ path: artifact('ui-torn-journal-and-busy.png'), fullPage: true });
      await page.close();
    } finally {
      await rm(lock, { force: true });
      await rm(join(root, '.promote', 'runs', runId), { recursive: true, force: true });
    }
  });

  it('with a token, a request without it gets 401; a non-loopback bind without a token is refused with exit 2', async () => {
    const guarded = await startUi(root, ['--token', 'open-sesame']);
    try {
      const bare = await fetch(guarded.url);
      expect(bare.status).toBe(401);
      expect((await fetch(`${guarded.url}events`)).status).toBe(401);
      expect((await fetch(`${guarded.url}?token=wrong`)).status).toBe(401);
      const page = await browser.newPage();
      page.setDefaultTimeout(120_000);
      const res = await page.goto(`${guarded.url}?token=open-sesame`);
      expect(res?.status()).toBe(200);
      // The page carries the token on its own requests (the live stream connects).
      await expect.poll(() => page.locator('#live-status').textContent(), { timeout: 30_000 }).toBe('connected');
      await page.close();
    } finally {
      await guarded.stop();
    }
    const refused = await runCli(['ui', '--cwd', root, '--host', '0.0.0.0', '--port', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--token');
  });
});

function byKey(a: { env: string; migration: string }, b: { env: string; migration: string }): number {
  return `${a.env}/${a.migration}`.localeCompare(`${b.env}/${b.migration}`);
}
