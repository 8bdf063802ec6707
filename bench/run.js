#!/usr/bin/env node
// `npm run bench`: promote vs wrangler vs the raw Miniflare limit, measured side
// by side in one run. Every figure is wall clock of a child process, from spawn
// to exit; each is reported as min and median over several runs, and ratios are
// computed from the medians (min-based ratios are shown beside them).
//
//   node bench/run.js [--runs N] [--quick] [--wrangler-runs N] [--growth-runs N] [--skip-wrangler] [--only 4,5] [--keep]
//
// Writes bench/results.json. Exit code 1 when any child failed (its stderr is printed).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChildError, runChild } from './lib/child.js';
import { BREAKING_MIGRATION, resetState, writePromotionProject, writeProject } from './lib/project.js';
import { benchDashboard } from './lib/dashboard.js';
import { benchRemote } from './lib/remote.js';
import { benchBaselineLocal, benchFingerprintRemote } from './lib/adopt.js';
import { benchTransport } from './lib/transport.js';
import { ROLLOUT_SOAK_MS, ROLLOUT_STEPS, benchRollout } from './lib/rollout.js';
import { DRIFT_MIGRATIONS, DRIFT_TARGET_MS, benchSchemaDrift } from './lib/schema-drift.js';
import { benchFleet } from './lib/fleet.js';
import { median, min, summarize } from './lib/stats.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');
const PROMOTE = join(REPO, 'bin', 'promote.js');
const WRANGLER = join(REPO, 'node_modules', '.bin', process.platform === 'win32' ? 'wrangler.cmd' : 'wrangler');
const RAW = join(BENCH, 'lib', 'raw-exec.js');
const NODE = process.execPath;
const CHILD_ENV = { WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
const TIMEOUT = { wrangler: 300_000, other: 60_000, large: 180_000 };

// ---------------------------------------------------------------- options
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'wrangler-runs': { type: 'string' },
    'growth-runs': { type: 'string' },
    'fast-runs': { type: 'string' },
    'skip-wrangler': { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(
    'usage: node bench/run.js [--runs N] [--quick] [--wrangler-runs N] [--growth-runs N] [--fast-runs N] [--skip-wrangler] [--only LIST] [--keep]\n' +
      '  --runs N           runs per figure (default 5; --quick: 2)\n' +
      '  --wrangler-runs N  runs of `wrangler d1 migrations apply` (default 2; --quick: 1)\n' +
      '  --growth-runs N    runs per size in "how it grows" (default 2)\n' +
      '  --fast-runs N      runs of --help / --version (default 7)\n' +
      '  --skip-wrangler    leave wrangler out (its apply takes 1-3 min per run on a shared 2-core machine)\n' +
      '  --only LIST        run only these sections, e.g. --only 4,5 (1 apply 200, 2 start-up, 3 growth, 4 full promotion, 5 rollback; 6 remote;\n' +
      '                     7 adopt: baseline of 200 migrations locally, fingerprint of 200 tables remotely;\n' +
      '                     8 trigger migrations over import vs query;\n' +
      '                     9 dashboard: first render and live delay in chromium;\n' +
      '                     10 local gradual rollout 0/50/100 with 1 s soak;\n' +
      '                     11 schema drift check of a 200-migration database: status without / with it, cold and cached;\n' +
      '                     12 fleet: 1,000 tenant databases on the fake API, 50 ms latency, concurrency 16;\n' +
      '                     2 needs 1)\n' +
      '  --keep             keep the temp projects',
  );
  process.exit(0);
}
const int = (v, d) => {
  if (v === undefined) return d;
  const n = Number.parseInt(v, 10);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${v}`);
  return n;
};
const RUNS = int(opts.runs, opts.quick ? 2 : 5);
const WRANGLER_RUNS = opts['skip-wrangler'] ? 0 : int(opts['wrangler-runs'], opts.quick ? 1 : Math.min(2, RUNS));
const GROWTH_RUNS = int(opts['growth-runs'], 2);
const FAST_RUNS = int(opts['fast-runs'], 7);
/** Sections: 1-6 the first release's, 7 adopt, 8 transport, 9 dashboard, 10 rollout, 11 schema drift, 12 fleet. */
const LAST_SECTION = 12;
const SECTIONS = new Set(
  (opts.only ?? Array.from({ length: LAST_SECTION }, (_, i) => i + 1).join(',')).split(',').map((x) => {
    const n = Number.parseInt(x.trim(), 10);
    if (!(n >= 1 && n <= LAST_SECTION)) throw new Error(`--only: expected section numbers 1-${LAST_SECTION}, got ${x}`);
    return n;
  }),
);
if (SECTIONS.has(2) && !SECTIONS.has(1)) SECTIONS.add(1); // start-up runs against section 1's project

// ---------------------------------------------------------------- bookkeeping
const rows = []; // table rows, in print order
const figures = {}; // name -> summary, for results.json
const failures = [];
const tempDirs = [];

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model?.trim() ?? 'unknown',
  cores: cpus.length,
  node: process.version,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  date: new Date().toISOString(),
  wrangler: versionOf('wrangler'),
  miniflare: versionOf('miniflare'),
};

function tempProject(label, count, write = writeProject) {
  const dir = mkdtempSync(join(os.tmpdir(), `promote-bench-${label}-`));
  tempDirs.push(dir);
  write(dir, count);
  return dir;
}

function cleanup() {
  if (opts.keep) {
    if (tempDirs.length) console.error(`kept: ${tempDirs.join(' ')}`);
    return;
  }
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

const log = (msg) => process.stderr.write(`${msg}\n`);

function fail(name, e) {
  const message = e instanceof ChildError ? e.message : (e?.stack ?? String(e));
  failures.push({ figure: name, message });
  log(`\n!! ${name} failed:\n${message}\n`);
}

/** Records a timing figure (samples in ms). */
function addFigure(name, samples, { target, verdict, note, key = name } = {}) {
  if (samples.length === 0) {
    rows.push({ name, runs: '0', min: 'ERROR', median: 'ERROR', target: target?.label ?? '', verdict: 'ERROR' });
    return undefined;
  }
  const s = summarize(samples);
  figures[key] = { ...s, unit: 'ms', ...(note ? { note } : {}) };
  let v = '';
  if (target) {
    v = s.median <= target.maxMs ? 'PASS' : 'MISS';
    figures[key].target = target.label;
    figures[key].verdict = v;
  }
  rows.push({ name, runs: String(s.runs), min: fmtS(s.min), median: fmtS(s.median), target: target?.label ?? '', verdict: verdict ?? v });
  return s;
}

/** Records a ratio a/b (from medians, and from mins) against a target. */
function addRatio(name, a, b, { atLeast, atMost, key = name }) {
  if (!a || !b) {
    rows.push({ name, runs: '-', min: 'n/a', median: 'n/a', target: '', verdict: 'ERROR' });
    return;
  }
  const med = a.median / b.median;
  const mn = a.min / b.min;
  let target = '';
  let verdict = '';
  if (atLeast !== undefined) {
    target = `>= ${atLeast}x`;
    verdict = med >= atLeast ? 'PASS' : 'MISS';
  } else if (atMost !== undefined) {
    target = `<= ${atMost}x`;
    verdict = med <= atMost ? 'PASS' : 'MISS';
  }
  figures[key] = { fromMedians: med, fromMins: mn, unit: 'x', target, verdict };
  rows.push({ name, runs: '-', min: fmtX(mn), median: fmtX(med), target, verdict });
}

function addNote(name, minText, medianText, target = '', verdict = '') {
  rows.push({ name, runs: '-', min: minText, median: medianText, target, verdict });
}

function section(title) {
  rowsSection(title);
  log(`\n== ${title}`);
}

function rowsSection(title) {
  rows.push({ section: title });
}

const fmtS = (ms) => `${(ms / 1000).toFixed(3)} s`;
const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
const fmtX = (x) => `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;

// ---------------------------------------------------------------- children
const promote = (args, cwd, timeoutMs = TIMEOUT.other) => runChild(NODE, [PROMOTE, ...args], { cwd: REPO, env: CHILD_ENV, timeoutMs });
const wrangler = (args, cwd, timeoutMs = TIMEOUT.other) => runChild(WRANGLER, args, { cwd, env: CHILD_ENV, timeoutMs });
const raw = (dir, mode = 'exec', extra = []) =>
  runChild(NODE, [RAW, join(dir, 'migrations'), join(dir, '.raw', 'd1'), mode, ...extra], { cwd: dir, env: CHILD_ENV, timeoutMs: TIMEOUT.other });

function parseLastJson(stdout) {
  const line = stdout.trim().split('\n').filter(Boolean).at(-1);
  return JSON.parse(line);
}

async function appliedByPromote(dir) {
  const { stdout } = await promote(['status', '--json', '--cwd', dir], dir);
  const s = JSON.parse(stdout);
  const db = s.environments.find((e) => e.name === 'dev').databases.find((d) => d.binding === 'DB');
  return { applied: db.applied.length, pending: db.pending.length };
}

/** Rotates the order of `items` by `round`, so no tool always runs first (or right after another). */
const rotate = (items, round) => items.map((_, i) => items[(i + round) % items.length]);

// ---------------------------------------------------------------- 1. apply 200 migrations
async function applyTwoHundred() {
  section(`1. apply 200 small migrations locally (fresh state each run; ${RUNS} runs, wrangler ${WRANGLER_RUNS})`);
  const dir = tempProject('200', 200);
  const samples = { promote: [], wrangler: [], raw: [], rawInProcess: [], rawImport: [], rawExec: [] };
  const verified = { promote: false, wrangler: false, raw: false };
  let savedWranglerState;
  let broken = new Set();

  const tasks = {
    async promote() {
      resetState(dir);
      const r = await promote(['migrate', '--env', 'dev', '--cwd', dir], dir);
      samples.promote.push(r.ms);
      if (!verified.promote) {
        const { applied, pending } = await appliedByPromote(dir);
        if (applied !== 200 || pending !== 0) throw new Error(`promote status after migrate: ${applied} applied, ${pending} pending (expected 200, 0)`);
        verified.promote = true;
        log(`   verified: promote status --json reports 200 applied, 0 pending`);
      }
    },
    async raw() {
      resetState(dir);
      const r = await raw(dir);
      const j = parseLastJson(r.stdout);
      samples.raw.push(r.ms);
      samples.rawInProcess.push(j.startMs + j.execMs);
      samples.rawImport.push(j.importMs);
      samples.rawExec.push(j.execMs);
      if (!verified.raw) {
        const v = parseLastJson((await raw(dir, 'count')).stdout);
        if (v.tables !== 200) throw new Error(`raw exec created ${v.tables} tables, expected 200`);
        verified.raw = true;
        log(`   verified: raw exec created 200 tables (${j.statements} statements)`);
      }
    },
    async wrangler() {
      resetState(dir);
      const r = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local'], dir, TIMEOUT.wrangler);
      samples.wrangler.push(r.ms);
      if (!verified.wrangler) {
        // wrangler re-prints its whole progress table after every migration (200 tables of up to
        // 200 rows): count distinct names marked ✅.
        const ok = new Set(r.stdout.split('\n').flatMap((l) => l.match(/(\d{4}_t\d+\.sql)\s*│\s*✅/)?.slice(1) ?? []));
        if (ok.size !== 200) throw new Error(`wrangler reported ${ok.size} migrations applied (✅), expected 200\n${r.stdout.slice(-2000)}`);
        figures['apply200.wranglerStdoutBytes'] = r.stdout.length;
        verified.wrangler = true;
        log(`   verified: wrangler reported 200 migrations ✅`);
      }
      if (!savedWranglerState) {
        savedWranglerState = mkdtempSync(join(os.tmpdir(), 'promote-bench-wrangler-state-'));
        tempDirs.push(savedWranglerState);
        cpSync(join(dir, '.wrangler'), join(savedWranglerState, '.wrangler'), { recursive: true });
      }
    },
  };

  for (let round = 0; round < RUNS; round++) {
    const names = ['promote', 'raw', ...(round < WRANGLER_RUNS ? ['wrangler'] : [])];
    for (const name of rotate(names, round)) {
      if (broken.has(name)) continue;
      log(`   round ${round + 1}/${RUNS}: ${name}`);
      try {
        await tasks[name]();
        const last = samples[name].at(-1);
        log(`     ${fmtS(last)}`);
      } catch (e) {
        broken.add(name);
        fail(`1. ${name}`, e);
      }
    }
  }

  const p = addFigure('promote migrate (200)', samples.promote, { key: 'apply200.promote' });
  const w = WRANGLER_RUNS
    ? addFigure(`wrangler d1 migrations apply (200)`, samples.wrangler, {
        key: 'apply200.wrangler',
        note: `${WRANGLER_RUNS} run(s): wrangler is slow, so it runs fewer times`,
      })
    : undefined;
  const r = addFigure('raw limit: node + Miniflare exec (process)', samples.raw, { key: 'apply200.rawProcess' });
  addFigure('raw in-process (start+exec, excl. node+import)', samples.rawInProcess, { key: 'apply200.rawInProcess' });
  if (samples.rawImport.length) {
    figures['apply200.rawImport'] = { ...summarize(samples.rawImport), unit: 'ms', note: 'import("miniflare") inside the raw child' };
    figures['apply200.rawExec'] = { ...summarize(samples.rawExec), unit: 'ms', note: 'the exec() call alone' };
  }
  if (WRANGLER_RUNS) addRatio('ratio wrangler / promote', w, p, { atLeast: 80, key: 'apply200.wranglerOverPromote' });
  else addNote('wrangler (skipped: --skip-wrangler)', '-', '-');
  addRatio('ratio promote / raw (process)', p, r, { atMost: 2.2, key: 'apply200.promoteOverRaw' });
  return { dir, savedWranglerState };
}

// ---------------------------------------------------------------- 2. start-up
async function startUp({ dir, savedWranglerState }) {
  section(`2. start-up (project with 200 migrations applied)`);
  // One state both tools see as fully applied: promote's own (.promote) and wrangler's (.wrangler).
  resetState(dir);
  try {
    await promote(['migrate', '--env', 'dev', '--cwd', dir], dir);
    if (savedWranglerState) cpSync(join(savedWranglerState, '.wrangler'), join(dir, '.wrangler'), { recursive: true });
  } catch (e) {
    fail('2. preparing the applied project', e);
  }

  const cases = [
    { name: 'promote --help', key: 'startup.promoteHelp', runs: FAST_RUNS, run: () => promote(['--help'], dir), target: { maxMs: 150, label: '<= 0.15 s' } },
    { name: 'promote status (200 applied)', key: 'startup.promoteStatus', runs: RUNS, run: () => promote(['status', '--cwd', dir], dir) },
    ...(opts['skip-wrangler']
      ? []
      : [
          { name: 'wrangler --version', key: 'startup.wranglerVersion', runs: FAST_RUNS, run: () => wrangler(['--version'], dir) },
          ...(savedWranglerState
            ? [{ name: 'wrangler d1 migrations list (200 applied)', key: 'startup.wranglerList', runs: RUNS, run: () => wrangler(['d1', 'migrations', 'list', 'DB', '--local'], dir, TIMEOUT.large) }]
            : []),
        ]),
  ];
  const samples = new Map(cases.map((c) => [c.name, []]));
  const broken = new Set();
  const maxRuns = Math.max(...cases.map((c) => c.runs));
  // Interleaved: round k runs every case that still needs a k-th sample.
  for (let round = 0; round < maxRuns; round++) {
    for (const c of rotate(cases, round)) {
      if (round >= c.runs || broken.has(c.name)) continue;
      try {
        const r = await c.run();
        samples.get(c.name).push(r.ms);
      } catch (e) {
        broken.add(c.name);
        fail(`2. ${c.name}`, e);
      }
    }
    log(`   round ${round + 1}/${maxRuns} done`);
  }
  for (const c of cases) addFigure(c.name, samples.get(c.name), { key: c.key, target: c.target });
}

// ---------------------------------------------------------------- 3. how it grows
async function growth() {
  const sizes = [10, 100, 1000];
  section(`3. how it grows: promote migrate of ${sizes.join(' / ')} migrations (${GROWTH_RUNS} runs each)`);
  const dirs = new Map(sizes.map((n) => [n, tempProject(String(n), n)]));
  const samples = new Map(sizes.map((n) => [n, []]));
  const broken = new Set();
  for (let round = 0; round < GROWTH_RUNS; round++) {
    for (const n of rotate(sizes, round)) {
      if (broken.has(n)) continue;
      const dir = dirs.get(n);
      resetState(dir);
      try {
        const r = await promote(['migrate', '--env', 'dev', '--cwd', dir, '--json'], dir, TIMEOUT.large);
        const summary = parseLastJson(r.stdout);
        const applied = summary.databases.reduce((k, d) => k + d.applied.length, 0);
        if (applied !== n) throw new Error(`migrate --json reported ${applied} applied, expected ${n}`);
        samples.get(n).push(r.ms);
        log(`   round ${round + 1}/${GROWTH_RUNS}: ${n} migrations ${fmtS(r.ms)}`);
      } catch (e) {
        broken.add(n);
        fail(`3. promote migrate (${n})`, e);
      }
    }
  }
  const s = new Map();
  for (const n of sizes) {
    const f = addFigure(`promote migrate (${n})`, samples.get(n), { key: `growth.${n}` });
    if (f) {
      s.set(n, f);
      figures[`growth.${n}`].perMigrationMs = { min: f.min / n, median: f.median / n };
      addNote(`  per migration (${n})`, fmtMs(f.min / n), fmtMs(f.median / n));
    }
  }
  // Flat means: each extra migration costs about the same whatever the size. The
  // fixed start-up dominates the small sizes, so compare marginal costs.
  if (s.has(10) && s.has(100) && s.has(1000)) {
    const marg = (a, b, k) => (s.get(b)[k] - s.get(a)[k]) / (b - a);
    const small = { min: marg(10, 100, 'min'), median: marg(10, 100, 'median') };
    const large = { min: marg(100, 1000, 'min'), median: marg(100, 1000, 'median') };
    figures['growth.marginal'] = { unit: 'ms per migration', '10to100': small, '100to1000': large };
    addNote('  marginal per migration 10 -> 100', fmtMs(small.min), fmtMs(small.median));
    // Flat if the 100->1000 marginal is within 2x of the 10->100 one, plus 2 ms of slack. Judged
    // on the mins: the 10->100 step is ~0.3 s of signal, under the noise of a shared machine's medians.
    const flat = large.min <= 2 * Math.max(small.min, 0) + 2;
    figures['growth.marginal'].verdict = flat ? 'PASS' : 'MISS';
    figures['growth.marginal'].criterion = 'min-based marginal 100->1000 <= 2 x (10->100) + 2 ms';
    addNote('  marginal per migration 100 -> 1000', fmtMs(large.min), fmtMs(large.median), 'flat: <= 2x(10->100)+2ms, mins', flat ? 'PASS' : 'MISS');
  }
}

// ---------------------------------------------------------------- 4 + 5. full promotion, rollback
const PROMOTION_MIGRATIONS = 20;

/** Parses every JSON line of a `--json` run's stdout; throws (with the output) when a line is not JSON. */
function jsonLines(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`--json printed a line that is not JSON: ${l.slice(0, 300)}`);
      }
    });
}

/** The summary of a `--json` run: its last stdout line. Throws, with the child's output, when it is not one. */
function summaryOf(r) {
  const events = jsonLines(r.stdout);
  const summary = events.at(-1);
  if (summary?.type !== 'summary') throw new ChildError(`last stdout line is not a summary (type ${summary?.type})\n${childOutput(r)}`);
  return { events, summary };
}

function childOutput(r, n = 3000) {
  const t = (s) => (s.length > n ? '…' + s.slice(-n) : s);
  return `--- stderr ---\n${t(r.stderr)}\n--- stdout ---\n${t(r.stdout)}`;
}

const stageResults = (summary) => Object.fromEntries(summary.stages.map((s) => [s.environment, s.result]));

/** Runs `promote --to production --json` and checks exit 0 and a "promoted" summary with every stage promoted. */
async function promoteClean(dir, expectMigrations) {
  const r = await promote(['--to', 'production', '--json', '--cwd', dir], dir);
  const { summary } = summaryOf(r);
  const stages = stageResults(summary);
  const bad = summary.result !== 'promoted' || ['dev', 'staging', 'production'].some((e) => stages[e] !== 'promoted');
  if (bad) throw new ChildError(`expected result "promoted" for the run and every stage, got ${summary.result} ${JSON.stringify(stages)}\n${childOutput(r)}`);
  if (expectMigrations !== undefined) {
    const counts = summary.stages.map((s) => s.migrations?.length ?? 0);
    if (counts.some((c) => c !== expectMigrations)) throw new ChildError(`expected ${expectMigrations} migrations per stage, got ${counts.join(', ')}\n${childOutput(r)}`);
  }
  return { r, summary };
}

async function promotionAndRollback() {
  const want4 = SECTIONS.has(4);
  const want5 = SECTIONS.has(5);
  const samples = { promotion: [], promotionInProcess: [], rollback: [], rollbackWall: [], rollbackInProcess: [], rollbackStep: [], reverifyStep: [], verifyFailed: [] };
  const broken = new Set();

  // 4: the project the full promotion runs on, from empty state each run.
  const dir4 = want4 ? tempProject('promotion', PROMOTION_MIGRATIONS, writePromotionProject) : undefined;

  // 5: a pristine copy of a promoted project plus the breaking 21st migration; each run works on a fresh copy.
  let pristine;
  if (want5) {
    try {
      pristine = tempProject('rollback-pristine', PROMOTION_MIGRATIONS, writePromotionProject);
      await promoteClean(pristine, PROMOTION_MIGRATIONS);
      writeFileSync(join(pristine, 'migrations', BREAKING_MIGRATION.name), BREAKING_MIGRATION.sql);
      log(`   prepared: clean promotion of ${PROMOTION_MIGRATIONS} migrations, then ${BREAKING_MIGRATION.name} added (not timed)`);
    } catch (e) {
      broken.add('rollback');
      fail('5. preparing the promoted project', e);
    }
  }

  let verified4 = false;
  let verified5 = false;
  const tasks = {
    async promotion() {
      resetState(dir4); // .promote (staging, production, runs) and .wrangler (dev's state)
      const { r, summary } = await promoteClean(dir4, verified4 ? undefined : PROMOTION_MIGRATIONS);
      samples.promotion.push(r.ms);
      samples.promotionInProcess.push(summary.durationMs);
      if (!verified4) {
        verified4 = true;
        log(`   verified: exit 0, summary "promoted", ${PROMOTION_MIGRATIONS} migrations on each of dev, staging, production`);
      }
      log(`     full promotion ${fmtS(r.ms)} (summary durationMs ${summary.durationMs})`);
    },
    async rollback() {
      const dir = mkdtempSync(join(os.tmpdir(), 'promote-bench-rollback-run-'));
      tempDirs.push(dir);
      try {
        cpSync(pristine, dir, { recursive: true });
        const r = await runChild(NODE, [PROMOTE, '--to', 'production', '--json', '--cwd', dir], { cwd: REPO, env: CHILD_ENV, timeoutMs: TIMEOUT.other, allowFail: true });
        if (r.code !== 1) throw new ChildError(`expected exit 1, got ${r.code}\n${childOutput(r)}`);
        const { events, summary } = summaryOf(r);
        const stages = stageResults(summary);
        if (summary.result !== 'rolled-back' || stages.production !== 'rolled-back' || stages.dev !== 'promoted' || stages.staging !== 'promoted')
          throw new ChildError(`expected summary "rolled-back" (dev, staging promoted; production rolled-back), got ${summary.result} ${JSON.stringify(stages)}\n${childOutput(r)}`);
        const find = (type, step) => {
          const found = events.filter((e) => e.type === type && e.stage === 'production' && e.step === step);
          if (found.length !== 1) throw new ChildError(`expected one production ${type} event for step ${step}, found ${found.length}\n${childOutput(r)}`);
          return found[0];
        };
        const failed = find('step.failed', 'verify');
        const reverified = find('step.succeeded', 'reverify');
        const rolledBack = find('step.succeeded', 'rollback');
        if (rolledBack.detail?.database !== 'time-travel') throw new ChildError(`expected a time-travel restore, got ${JSON.stringify(rolledBack.detail?.database)}\n${childOutput(r)}`);
        const ms = Date.parse(reverified.at) - Date.parse(failed.at);
        if (!Number.isFinite(ms) || ms < 0) throw new ChildError(`bad event times: ${failed.at} -> ${reverified.at}`);
        samples.rollback.push(ms);
        samples.rollbackWall.push(r.ms);
        samples.rollbackInProcess.push(summary.durationMs);
        samples.rollbackStep.push(rolledBack.durationMs);
        samples.reverifyStep.push(reverified.durationMs);
        samples.verifyFailed.push(failed.durationMs);
        if (!verified5) {
          // Outside the timing: production is back at 20 applied, 21st pending; dev and staging keep it.
          const { stdout } = await promote(['status', '--json', '--cwd', dir], dir);
          const applied = Object.fromEntries(JSON.parse(stdout).environments.map((e) => [e.name, e.databases[0]]));
          const p = applied.production;
          if (p.applied.length !== PROMOTION_MIGRATIONS || p.pending.length !== 1 || applied.staging.applied.length !== PROMOTION_MIGRATIONS + 1)
            throw new Error(`status after rollback: production ${p.applied.length} applied / ${p.pending.length} pending, staging ${applied.staging.applied.length} applied`);
          verified5 = true;
          log(`   verified: exit 1, summary "rolled-back" (production rolled back by time travel); status: production 20 applied + 1 pending, staging 21`);
        }
        log(`     rollback ${fmtMs(ms)} (verify failed -> reverify ok); whole run ${fmtS(r.ms)}`);
      } finally {
        if (!opts.keep) rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  const names = [...(want4 ? ['promotion'] : []), ...(want5 ? ['rollback'] : [])];
  for (let round = 0; round < RUNS; round++) {
    for (const name of rotate(names, round)) {
      if (broken.has(name)) continue;
      log(`   round ${round + 1}/${RUNS}: ${name}`);
      try {
        await tasks[name]();
      } catch (e) {
        broken.add(name);
        fail(`${name === 'promotion' ? 4 : 5}. ${name}`, e);
      }
    }
  }

  if (want4) {
    rowsSection(`4. full local promotion: dev -> staging -> production, ${PROMOTION_MIGRATIONS} migrations, fresh state (${RUNS} runs)`);
    addFigure('promote --to production (process)', samples.promotion, { key: 'promotion.wall', target: { maxMs: 3000, label: '<= 3 s' } });
    addFigure('  in-process (summary durationMs)', samples.promotionInProcess, { key: 'promotion.inProcess' });
  }
  if (want5) {
    rowsSection(`5. rollback: 21st migration breaks production only; time travel restore (${RUNS} runs)`);
    addFigure('rollback: verify failed -> reverify ok', samples.rollback, {
      key: 'rollback.restoreAndReverify',
      target: { maxMs: 1000, label: '<= 1 s' },
      note: "production's step.failed(verify).at -> step.succeeded(reverify).at, from the --json events (ms resolution)",
    });
    addFigure('  rollback step (durationMs)', samples.rollbackStep, { key: 'rollback.rollbackStep' });
    addFigure('  reverify step (durationMs)', samples.reverifyStep, { key: 'rollback.reverifyStep' });
    addFigure('whole run, exit 1 (process)', samples.rollbackWall, { key: 'rollback.wall' });
    if (samples.verifyFailed.length) figures['rollback.failedVerifyStep'] = { ...summarize(samples.verifyFailed), unit: 'ms', note: 'the failing verify step (3 attempts with backoff), before the rollback' };
    if (samples.rollbackInProcess.length) figures['rollback.inProcess'] = { ...summarize(samples.rollbackInProcess), unit: 'ms', note: 'summary durationMs of the rolling-back run' };
  }
}

// ---------------------------------------------------------------- 6. remote
async function remote() {
  const runs = opts.quick ? 1 : Math.min(3, RUNS);
  section(`6. remote: migrate 50 files into a cloudflare environment, 100 ms latency per API request (fake API; ${runs} runs each)`);
  try {
    const r = await benchRemote({ repo: REPO, runs, log });
    const p = addFigure('promote migrate --env (50, remote)', r.promote.samples, { key: 'remotePromote' });
    const w = addFigure('wrangler d1 migrations apply --remote (50)', r.wrangler.samples, { key: 'remoteWrangler' });
    addNote('  D1 requests: promote / wrangler', `${Math.min(...r.promote.d1Requests)} / ${Math.min(...r.wrangler.d1Requests)}`, `${r.promote.d1Requests.join(',')} / ${r.wrangler.d1Requests.join(',')}`, 'promote <= 2 + ceil(KB/100)', Math.max(...r.promote.d1Requests) <= 3 ? 'PASS' : 'MISS');
    addNote('  all API requests: promote / wrangler', `${Math.min(...r.promote.requests)} / ${Math.min(...r.wrangler.requests)}`, `${r.promote.requests.join(',')} / ${r.wrangler.requests.join(',')}`);
    figures.remoteRequests = { promoteD1: r.promote.d1Requests, wranglerD1: r.wrangler.d1Requests, promoteAll: r.promote.requests, wranglerAll: r.wrangler.requests };
    addRatio('ratio wrangler / promote (remote)', w, p, { atLeast: 1, key: 'remoteRatio' });
  } catch (e) {
    fail('remote', e);
  }
}

// ---------------------------------------------------------------- 7. adopt
async function adopt() {
  const runs = opts.quick ? 1 : Math.min(3, RUNS);
  section(`7. adopt: promote baseline of a 200-migration database with no ledger, locally (prefix search included; ${runs} runs)`);
  try {
    const r = await benchBaselineLocal({ repo: REPO, runs, log });
    addFigure('promote baseline (200, local, process)', r.ms, { key: 'baseline.local200', note: 'every migration replayed once on scratch, fingerprinted after each; ledger + metadata in one transaction' });
  } catch (e) {
    fail('baseline local', e);
  }
  rowsSection(`7. adopt: schema fingerprint of a 200-table database over the fake API, 100 ms latency per request (${runs} runs)`);
  try {
    const r = await benchFingerprintRemote({ repo: REPO, runs, log });
    addFigure('fingerprint read (200 tables, remote, in process)', r.read.ms, { key: 'fingerprint.remote200' });
    addNote('  requests per fingerprint read', String(Math.min(...r.read.requests)), r.read.requests.join(','), '<= 3', Math.max(...r.read.requests) <= 3 ? 'PASS' : 'MISS');
    addFigure('promote baseline --dry-run (200, remote, process)', r.dryRun.ms, { key: 'baseline.remote200DryRun' });
    addNote('  API requests per baseline --dry-run', String(Math.min(...r.dryRun.requests)), r.dryRun.requests.join(','));
    figures.fingerprintRequests = { read: r.read.requests, baselineDryRun: r.dryRun.requests, tables: r.tables, latencyMs: r.latencyMs };
  } catch (e) {
    fail('fingerprint remote', e);
  }
}

// ---------------------------------------------------------------- 8. transport
async function transport() {
  const runs = opts.quick ? 1 : Math.min(3, RUNS);
  section(`8. trigger migrations (20 files, each a table + a multi-line trigger) over import vs over query, 100 ms latency per API request (fake API; ${runs} runs each)`);
  try {
    const r = await benchTransport({ repo: REPO, runs, log });
    const imp = addFigure('promote migrate, transport auto -> import (field-like /query)', r.import.samples, { key: 'transportImport' });
    const qry = addFigure('promote migrate, transport query (/query NOT splitting: best case)', r.query.samples, { key: 'transportQuery' });
    addNote('  D1 requests: import / query', `${Math.min(...r.import.d1Requests)} / ${Math.min(...r.query.d1Requests)}`, `${r.import.d1Requests.join(',')} / ${r.query.d1Requests.join(',')}`);
    addNote('  all API requests: import / query', `${Math.min(...r.import.requests)} / ${Math.min(...r.query.requests)}`, `${r.import.requests.join(',')} / ${r.query.requests.join(',')}`);
    const f = r.fieldFailure;
    addNote('  transport query on the field-like /query', `exit ${f.exitCode}`, `${f.triggersApplied} triggers applied`, 'exit 1, 0 applied', f.exitCode === 1 && f.incompleteInput && f.triggersApplied === 0 ? 'PASS' : 'MISS');
    figures.transportRequests = { importD1: r.import.d1Requests, queryD1: r.query.d1Requests, importAll: r.import.requests, queryAll: r.query.requests, fieldFailure: f };
    addRatio('ratio import / query (time)', imp, qry, { key: 'transportRatio' });
  } catch (e) {
    fail('transport', e);
  }
}

// ---------------------------------------------------------------- 9. dashboard
async function dashboard() {
  const runs = opts.quick ? 3 : RUNS;
  section(`9. dashboard (promote ui): 10 environments x 500 migrations x 200 runs, synthesised; system chromium (${runs} page loads, ${Math.max(10, runs * 4)} transitions)`);
  try {
    const r = await benchDashboard({ repo: REPO, runs, log });
    addFigure('first full render: request -> matrix painted', r.firstRender, { target: { label: '<= 300 ms', maxMs: 300 }, key: 'dashboardFirstRender' });
    addFigure('  of which: request -> last byte (server)', r.serverPart, { key: 'dashboardServerPart' });
    addFigure('transition: journal line -> painted in the page', r.transition, { target: { label: '<= 250 ms', maxMs: 250 }, key: 'dashboardTransition' });
    addNote('  page size', `${(r.pageBytes / 1024).toFixed(0)} KiB`, '');
    figures.dashboardPageBytes = r.pageBytes;
  } catch (e) {
    fail('dashboard', e);
  }
}

// ---------------------------------------------------------------- 10. rollout
async function rollout() {
  const runs = opts.quick ? 1 : Math.min(3, RUNS);
  section(`10. local gradual rollout ${ROLLOUT_STEPS.join(' / ')} %, ${ROLLOUT_SOAK_MS / 1000} s soak per step (${runs} runs)`);
  try {
    const s = await benchRollout({ node: NODE, promote: PROMOTE, runs, env: CHILD_ENV, log, keep: opts.keep });
    addFigure('rollout beyond the soak (deploy + verify)', s.beyondSoak, {
      key: 'rollout.beyondSoak',
      target: { maxMs: 500, label: '< 0.5 s' },
      note: `deploy step + verify step durationMs minus ${ROLLOUT_STEPS.length} x ${ROLLOUT_SOAK_MS} ms of soak`,
    });
    addFigure('  verify step beyond the soak', s.verifyBeyondSoak, { key: 'rollout.verifyBeyondSoak' });
    addFigure('  deploy step (upload + 0% split)', s.deployStep, { key: 'rollout.deployStep' });
    addFigure('  whole run (process)', s.wall, { key: 'rollout.wall' });
  } catch (e) {
    fail('10. rollout', e);
  }
}

// ---------------------------------------------------------------- 11. schema drift check
async function schemaDrift() {
  const runs = opts.quick ? 2 : Math.min(5, RUNS);
  section(`11. schema drift check: promote status of a ${DRIFT_MIGRATIONS}-migration local database without and with it (replay + compare; ${runs} runs)`);
  try {
    const s = await benchSchemaDrift({ node: NODE, promote: PROMOTE, repo: REPO, runs, env: CHILD_ENV, log, keep: opts.keep });
    addFigure(`schema drift check (${DRIFT_MIGRATIONS} migrations, in process): replay + compare`, s.checkCold, {
      key: 'drift.checkCold',
      note: 'checkSchema on the dev database: live read, replay on the scratch database, cache write, compare',
    });
    addFigure('  the same, cached (compare only)', s.checkWarm, { key: 'drift.checkWarm', note: 'live read, cache read, compare' });
    const without = addFigure(`promote status --no-schema (${DRIFT_MIGRATIONS} applied)`, s.without, { key: 'drift.statusWithout' });
    const cold = addFigure('promote status, schema check, first run (replay)', s.cold, { key: 'drift.statusCold', note: `${DRIFT_MIGRATIONS} migrations replayed on the scratch database, then compared; the replay is cached` });
    const warm = addFigure('promote status, schema check, cached (same ledger)', s.warm, { key: 'drift.statusWarm', note: 'the cached replay compared with the live schema: nothing replayed' });
    for (const [name, key, c] of [
      ['  added by the check, first run', 'drift.addedCold', cold],
      ['  added by the check, cached', 'drift.addedWarm', warm],
    ]) {
      if (!without || !c) continue;
      const addedMin = c.min - without.min;
      const addedMedian = c.median - without.median;
      const verdict = addedMedian <= DRIFT_TARGET_MS ? 'PASS' : 'MISS';
      figures[key] = { fromMins: addedMin, fromMedians: addedMedian, unit: 'ms', ratioToTarget: addedMedian / DRIFT_TARGET_MS, target: `<= ${DRIFT_TARGET_MS / 1000} s`, verdict };
      addNote(name, fmtS(addedMin), `${fmtS(addedMedian)} (${fmtX(addedMedian / DRIFT_TARGET_MS)} of target)`, `<= ${DRIFT_TARGET_MS / 1000} s`, verdict);
    }
  } catch (e) {
    fail('11. schema drift', e);
  }
}

// ---------------------------------------------------------------- 12. fleet
async function fleet() {
  const tenants = opts.quick ? 200 : 1000;
  section(`12. fleet: promote --to production over ${tenants} tenant D1 databases (fleet.match), concurrency 16, 50 ms latency per API request (fake API; 1 run)`);
  try {
    const r = await benchFleet({ repo: REPO, tenants, concurrency: 16, latencyMs: 50, log });
    const need = r.perTenant.max;
    addFigure('fleet promotion (process, spawn to exit)', [r.wallMs], { key: 'fleet.wall' });
    addFigure(`  ideal: ceil(${r.tenants}/${r.concurrency}) x ${need} requests x ${r.latencyMs} ms`, [r.idealMs], { key: 'fleet.ideal' });
    addRatio('ratio fleet / ideal (process)', { median: r.wallMs, min: r.wallMs }, { median: r.idealMs, min: r.idealMs }, { atMost: 1.25, key: 'fleet.ratio' });
    addRatio('ratio fleet / ideal (first to last D1 request)', { median: r.d1SpanMs, min: r.d1SpanMs }, { median: r.idealMs, min: r.idealMs }, { atMost: 1.25, key: 'fleet.ratioD1Span' });
    addNote('  requests per tenant / one database', `${r.perTenant.min}..${r.perTenant.max} / ${r.perDatabase}`, '', '<= one database, all equal', r.perTenant.min === r.perTenant.max && r.perTenant.max <= r.perDatabase ? 'PASS' : 'MISS');
    addNote('  API requests in all (429s)', `${r.requests} (${r.status429})`, '');
    addNote('  peak RSS of the promote process', r.peakRssMiB === undefined ? 'n/a' : `${r.peakRssMiB.toFixed(0)} MiB`, '', '< 300 MiB', r.peakRssMiB !== undefined && r.peakRssMiB < 300 ? 'PASS' : 'MISS');
    figures.fleet = r;
  } catch (e) {
    fail('12. fleet', e);
  }
}

// ---------------------------------------------------------------- table
function renderTable() {
  const head = { name: 'figure', runs: 'runs', min: 'min', median: 'median', target: 'target', verdict: 'verdict' };
  const body = rows.filter((r) => !r.section);
  const w = {};
  for (const k of Object.keys(head)) w[k] = Math.max(...[head, ...body].map((r) => String(r[k]).length));
  const line = (r) =>
    [r.name.padEnd(w.name), r.runs.padStart(w.runs), r.min.padStart(w.min), r.median.padStart(w.median), r.target.padEnd(w.target), r.verdict.padEnd(w.verdict)]
      .join('  ')
      .trimEnd();
  const total = line(head).length;
  const out = [
    `promote benchmark  ${machine.date}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; node ${machine.node}; load avg at start ${machine.loadAverageAtStart.join(' ')}`,
    ...(machine.loadAverageDuring
      ? [`load avg (1 min) during the run: min ${machine.loadAverageDuring.min}, mean ${machine.loadAverageDuring.mean}, max ${machine.loadAverageDuring.max} (${machine.loadAverageDuring.samples} samples, every 5 s)`]
      : []),
    `tools: wrangler ${machine.wrangler}, miniflare ${machine.miniflare}; wall clock per child process, spawn to exit; ratios from medians (min column: from mins)`,
    '',
    line(head),
    '-'.repeat(total),
  ];
  for (const r of rows) {
    if (r.section) out.push('', r.section);
    else out.push(line(r));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- main
async function main() {
  if (!existsSync(join(REPO, 'dist', 'cli', 'main.js'))) {
    log('dist/ is missing: run `npm run bench` (it builds first) or `npx tsc -p tsconfig.build.json`');
    return 1;
  }
  log(`promote bench: ${RUNS} runs, wrangler ${WRANGLER_RUNS}, growth ${GROWTH_RUNS}, fast ${FAST_RUNS}`);
  const started = Date.now();
  // The 1-minute load average every 5 s while the bench runs (recorded in results.json and the table header).
  const loadSamples = [os.loadavg()[0]];
  const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 5000);
  loadTimer.unref();
  try {
    if (SECTIONS.has(1)) {
      const ctx = await applyTwoHundred();
      if (SECTIONS.has(2)) await startUp(ctx);
    }
    if (SECTIONS.has(3)) await growth();
    if (SECTIONS.has(4) || SECTIONS.has(5)) {
      log(`\n== 4 + 5. full local promotion and rollback (interleaved; ${RUNS} runs)`);
      await promotionAndRollback();
    }
    if (SECTIONS.has(6)) await remote();
    if (SECTIONS.has(7)) await adopt();
    if (SECTIONS.has(8)) await transport();
    if (SECTIONS.has(9)) await dashboard();
    if (SECTIONS.has(10)) await rollout();
    if (SECTIONS.has(11)) await schemaDrift();
    if (SECTIONS.has(12)) await fleet();
  } catch (e) {
    fail('harness', e);
  } finally {
    cleanup();
    clearInterval(loadTimer);
  }
  loadSamples.push(os.loadavg()[0]);
  machine.loadAverageDuring = {
    note: '1-minute load average sampled every 5 s during the run',
    min: +Math.min(...loadSamples).toFixed(2),
    mean: +(loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length).toFixed(2),
    max: +Math.max(...loadSamples).toFixed(2),
    samples: loadSamples.length,
  };
  machine.loadAverageAtEnd = os.loadavg().map((x) => +x.toFixed(2));
  const table = renderTable();
  console.log(`\n${table}\n`);
  const results = {
    machine,
    options: { runs: RUNS, wranglerRuns: WRANGLER_RUNS, growthRuns: GROWTH_RUNS, fastRuns: FAST_RUNS, quick: opts.quick, skipWrangler: opts['skip-wrangler'], sections: [...SECTIONS].sort() },
    durationS: Math.round((Date.now() - started) / 1000),
    figures,
    table: rows,
    failures,
  };
  writeFileSync(join(BENCH, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  log(`wrote bench/results.json (${results.durationS} s)`);
  if (failures.length) log(`${failures.length} failure(s): ${failures.map((f) => f.figure).join(', ')}`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
