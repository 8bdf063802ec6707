// Dashboard figures: the page of `promote ui` for 10 environments x 500 migrations
// x 200 runs, synthesised (environments read from a fixture, journals written to a
// temp .promote/runs/), served by the real server from dist/ and loaded in the
// system chromium through playwright-core.
//   first render: from the request to the matrix painted (performance.mark in the
//     page, relative to the navigation's start), fresh page each time
//   transition delay: a line appended to a running run's journal -> that transition
//     painted in the open page (both clocks are this machine's Date.now())
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ENVS = 10;
const MIGRATIONS = 500;
const RUNS = 200;
const STEPS = ['preflight', 'lock', 'migrate', 'deploy', 'verify', 'unlock'];

function uuid(i) {
  const h = (i * 2654435761 >>> 0).toString(16).padStart(8, '0');
  return `${h}-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

function runId(i) {
  const t = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `r-${t}-${i.toString(16).padStart(6, '0')}`;
}

/** One finished run through every environment (some rolled back at the last stage). */
function journal(i, envs) {
  const id = runId(i);
  const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
  const lines = [{ type: 'run.started', runId: id, at, pipeline: 'bench', to: envs.at(-1), stages: envs, dryRun: false, resumed: false }];
  const rolledBack = i % 7 === 3;
  const stages = [];
  envs.forEach((env, e) => {
    const last = e === envs.length - 1;
    for (const step of STEPS) {
      lines.push({ type: 'step.started', runId: id, at, stage: env, step });
      if (rolledBack && last && step === 'verify') {
        lines.push({ type: 'step.failed', runId: id, at, stage: env, step, durationMs: 420, error: 'verification failed', detail: { checks: [{ name: 'GET /health', url: 'http://127.0.0.1/health', ok: false, inconclusive: false, reason: 'status 503, expected 200', attempts: [{ attempt: 1, ok: false, status: 503, latencyMs: 12 }], durationMs: 20 }] } });
        lines.push({ type: 'step.started', runId: id, at, stage: env, step: 'rollback' });
        lines.push({ type: 'step.succeeded', runId: id, at, stage: env, step: 'rollback', durationMs: 800, detail: { database: 'time-travel', bookmark: `bm-${i}`, lostWritesWindowMs: 1200, workerVersion: uuid(i - 1) } });
        lines.push({ type: 'step.started', runId: id, at, stage: env, step: 'reverify' });
        lines.push({ type: 'step.succeeded', runId: id, at, stage: env, step: 'reverify', durationMs: 90, detail: { checks: [] } });
        break;
      }
      const detail = step === 'migrate' ? { migrations: [`${String(i).padStart(4, '0')}_m.sql`] } : step === 'deploy' ? { workerVersion: uuid(i), previousWorkerVersion: uuid(i - 1) } : undefined;
      lines.push({ type: 'step.succeeded', runId: id, at, stage: env, step, durationMs: 30 + ((i + e) % 50), ...(detail ? { detail } : {}) });
    }
    const result = rolledBack && last ? 'rolled-back' : 'promoted';
    lines.push({ type: 'stage.finished', runId: id, at, stage: env, result, durationMs: 900 });
    stages.push({ environment: env, result, migrations: [], durationMs: 900 });
  });
  lines.push({ type: 'summary', runId: id, at, result: rolledBack ? 'rolled-back' : 'promoted', exitCode: rolledBack ? 1 : 0, stages, durationMs: 9000 });
  return { id, text: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' };
}

/** Observed environments: env k has the first 500 - 10k migrations applied, one has drift. */
function readings(envs) {
  const migrations = Array.from({ length: MIGRATIONS }, (_, i) => ({ name: `${String(i + 1).padStart(4, '0')}_step_${i + 1}.sql`, checksum: `c${i}` }));
  return envs.map((name, k) => {
    const appliedCount = MIGRATIONS - 10 * k;
    const applied = migrations.slice(0, appliedCount).map((m, i) => ({ name: m.name, appliedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), checksum: m.checksum, durationMs: 5 + (i % 40), runId: runId(i % RUNS) }));
    return {
      name,
      target: k < 3 ? 'local' : 'cloudflare',
      checks: [{ name: 'GET /health', url: '/health' }],
      databases: [
        {
          binding: 'DB',
          migrationsDir: 'migrations',
          migrations,
          state: { ledger: [], meta: new Map(), schema: [{ type: 'table', name: 't', tbl_name: 't', sql: k === 5 ? 'CREATE TABLE t (a, b)' : 'CREATE TABLE t (a)' }] },
          plan: { applied, pending: migrations.slice(appliedCount), drift: k === 2 ? [{ name: migrations[3].name, reason: 'checksum changed' }] : [], adoptable: [], outOfOrder: [] },
        },
      ],
    };
  });
}

export async function benchDashboard({ repo, runs, log }) {
  const { chromium } = await import('playwright-core');
  const { startDashboardServer } = await import(pathToFileURL(join(repo, 'dist', 'ui', 'dashboard-server.js')).href);
  const { buildDashboard } = await import(pathToFileURL(join(repo, 'dist', 'ui', 'dashboard-model.js')).href);
  const { RunViewCache } = await import(pathToFileURL(join(repo, 'dist', 'ui', 'run-cache.js')).href);
  const root = mkdtempSync(join(os.tmpdir(), 'promote-bench-ui-'));
  const envs = Array.from({ length: ENVS }, (_, k) => `env${String(k + 1).padStart(2, '0')}`);
  for (let i = 1; i <= RUNS; i++) {
    const { id, text } = journal(i, envs);
    mkdirSync(join(root, '.promote', 'runs', id), { recursive: true });
    writeFileSync(join(root, '.promote', 'runs', id, 'journal.ndjson'), text);
  }
  const fixture = readings(envs);
  // As `promote ui` does: runs parsed once, kept while their files do not change.
  const cache = new RunViewCache(root);
  const server = await startDashboardServer({
    root,
    host: '127.0.0.1',
    port: 0,
    loadModel: async () => buildDashboard({ pipeline: 'bench', project: 'bench', stages: envs, readings: fixture, runs: cache.views(RUNS), warnings: [], now: Date.now() }),
    health: async () => '',
    plan: async () => '',
  });
  const executablePath = process.env.PROMOTE_TEST_CHROMIUM || execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  const browser = await chromium.launch({ executablePath, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  const firstRender = [];
  const transition = [];
  const serverPart = [];
  let pageBytes = 0;
  try {
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      pageBytes = (await (await fetch(server.url)).text()).length;
      log(`  server: page of ${(pageBytes / 1024).toFixed(0)} KiB in ${(performance.now() - t0).toFixed(1)} ms`);
    }
    // One warm-up load (chromium's first page, the server's first read), not counted.
    for (let i = 0; i <= runs; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset.painted === '1');
      const ms = await page.evaluate(() => performance.getEntriesByName('matrix-painted')[0].startTime);
      const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
      const cells = await page.locator('td.cell').count();
      if (cells !== ENVS * MIGRATIONS) throw new Error(`expected ${ENVS * MIGRATIONS} cells, got ${cells}`);
      if (i > 0) {
        firstRender.push(ms);
        serverPart.push(nav.responseEnd - nav.requestStart);
      }
      log(`  first render ${i === 0 ? '(warm-up) ' : ''}${ms.toFixed(1)} ms (of which request -> last byte ${(nav.responseEnd - nav.requestStart).toFixed(1)} ms, parsed at ${(await page.evaluate(() => performance.getEntriesByName('matrix-painted-parse')[0].startTime)).toFixed(1)} ms)`);
      await page.close();
    }
    // Transitions: a run in progress, one step per line, the page open.
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('live-status')?.textContent === 'connected');
    const id = runId(RUNS + 1);
    const file = join(root, '.promote', 'runs', id, 'journal.ndjson');
    mkdirSync(join(root, '.promote', 'runs', id), { recursive: true });
    const at = () => new Date().toISOString();
    appendFileSync(file, JSON.stringify({ type: 'run.started', runId: id, at: at(), pipeline: 'bench', to: envs.at(-1), stages: envs, dryRun: false, resumed: false }) + '\n');
    await page.waitForFunction((rid) => document.body.dataset.lastRun === rid, id);
    const steps = Math.max(10, runs * 4);
    for (let i = 0; i < steps; i++) {
      const env = envs[Math.floor(i / STEPS.length) % ENVS];
      const step = STEPS[i % STEPS.length];
      const before = await page.evaluate(() => window.promoteTransitions.length);
      const written = Date.now();
      appendFileSync(file, JSON.stringify({ type: 'step.started', runId: id, at: at(), stage: env, step }) + '\n');
      await page.waitForFunction((n) => window.promoteTransitions.length > n && document.querySelector('#live .live-step')?.textContent.includes('…'), before, { timeout: 5000 });
      const painted = await page.evaluate(() => window.promoteTransitions.at(-1).paintedAt);
      transition.push(painted - written);
      appendFileSync(file, JSON.stringify({ type: 'step.succeeded', runId: id, at: at(), stage: env, step, durationMs: 1 }) + '\n');
      await page.waitForTimeout(60);
    }
    log(`  transition delays: ${transition.map((x) => x.toFixed(0)).join(', ')} ms`);
    await page.close();
  } finally {
    await browser.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
  return { firstRender, serverPart, transition, pageBytes };
}
