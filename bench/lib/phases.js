#!/usr/bin/env node
// Diagnostic, not part of `npm run bench`: where does `promote migrate` spend its
// wall clock? Replays the steps of dist/cli/commands/migrate.js (same modules,
// same order) with a timer around each. Needs a built dist/.
//
//   node bench/lib/phases.js <project dir> [env=dev] [--apply-first]
//
// Prints one JSON line of { phase: ms }; state is not reset (delete .promote first).
import { performance } from 'node:perf_hooks';

const t = [['process start -> script', performance.now()]];
const mark = (name) => t.push([name, performance.now()]);
const [root, envName = 'dev'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const dist = new URL('../../dist/', import.meta.url);
const imp = (p) => import(new URL(p, dist).href);

const { loadWorkspace } = await imp('project/load-workspace.js');
const { selectEnvironment } = await imp('project/select-environment.js');
const { applyChunks } = await imp('ledger/apply.js');
const { readDatabaseState, schemaSql } = await imp('ledger/ledger.js');
const { preflight } = await imp('ledger/preflight.js');
const { chunkMigrations } = await imp('migrations/plan.js');
const { planDatabase } = await imp('migrations/plan.js');
const { LocalEnvironmentRuntime } = await imp('targets/local/local-environment.js');
mark('import promote modules');
await import('miniflare');
mark('import miniflare');
const ws = await loadWorkspace(root, process.env);
const env = selectEnvironment(ws.project, envName, '--env');
mark('load workspace (config, read + lint migrations)');
const rt = await LocalEnvironmentRuntime.start(ws.project.root, env.name, env.config);
mark('start Miniflare (workerd)');
const work = [];
for (const db of ws.databasesOf(env)) {
  const state = await readDatabaseState(rt.database(db.binding), db.ledgerTable);
  const plan = planDatabase(ws.migrations.get(db.migrationsDir) ?? [], state);
  const ctx = { ledgerTable: db.ledgerTable, runId: 'r-bench', adopt: [] };
  work.push({ db, ctx, chunks: chunkMigrations(plan.pending), schema: schemaSql(state.schema) });
}
mark('read ledger + plan');
// --apply-first swaps the two (diagnostic only: shows how much of preflight's cost is warm-up).
const steps = [
  ['preflight on scratch db', async (w) => preflight(rt.scratch(w.db.binding), w.schema, w.chunks, w.ctx)],
  ['apply', async (w) => applyChunks(rt.database(w.db.binding), w.chunks, w.ctx)],
];
if (process.argv.includes('--apply-first')) steps.reverse();
for (const [name, step] of steps) {
  for (const w of work) await step(w);
  mark(name);
}
await rt.dispose();
mark('dispose');
const out = { chunks: work.map((w) => w.chunks.length), statements: work.map((w) => w.chunks.flat().reduce((n, m) => n + m.statements.length + 3, 2)) };
for (let i = 0; i < t.length; i++) out[t[i][0]] = +(t[i][1] - (i ? t[i - 1][1] : 0)).toFixed(1);
console.log(JSON.stringify(out));
