#!/usr/bin/env node
// The "raw limit": the least work that applies the same SQL to a persisted local
// D1 database: start Miniflare, run every migration's SQL in one call, dispose.
// No ledger, no preflight, no config parsing.
//
//   node bench/lib/raw-exec.js <migrations dir> <d1Persist dir> [exec|batch|count] [--verify]
//
// exec (default) is the fastest correct way measured: one exec() call with one
// statement per line (~0.4-0.7 s for 400 statements) against ~3 s for a single
// batch() of 400 prepared statements (each prepare() is a proxy round trip).
//
// Prints one JSON line: { importMs, startMs, execMs, disposeMs, statements, mode, tables? }.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const [dir, persist, mode = 'exec', ...flags] = process.argv.slice(2);
if (!dir || !persist) {
  console.error('usage: raw-exec.js <migrations dir> <d1Persist dir> [exec|batch|count] [--verify]');
  process.exit(2);
}

// Reading and splitting the files is not timed: promote's equivalent work is part of its own total.
const statements = readdirSync(dir)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .flatMap((f) => readFileSync(join(dir, f), 'utf8').split(';'))
  .map((s) => s.replace(/\s+/g, ' ').trim()) // D1's exec() splits on newlines: one statement per line
  .filter(Boolean);

const t0 = performance.now();
const { Miniflare } = await import('miniflare');
const t1 = performance.now();
const mf = new Miniflare({
  modules: true,
  script: 'export default { fetch() { return new Response("") } }',
  d1Databases: { DB: 'raw' },
  d1Persist: persist,
  cf: false,
});
await mf.ready;
const db = await mf.getD1Database('DB');
const t2 = performance.now();
if (mode === 'exec') {
  await db.exec(statements.map((s) => s + ';').join('\n'));
} else if (mode === 'count') {
  // Verification only: applies nothing, counts the tables an earlier run created.
} else if (mode === 'batch') {
  await db.batch(statements.map((s) => db.prepare(s)));
} else {
  throw new Error(`unknown mode ${mode}`);
}
const t3 = performance.now();
let tables;
if (mode === 'count' || flags.includes('--verify')) {
  const row = await db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE 't%'").first();
  tables = row.n;
}
const t4 = performance.now();
await mf.dispose();
const t5 = performance.now();
console.log(
  JSON.stringify({
    mode,
    statements: statements.length,
    importMs: t1 - t0,
    startMs: t2 - t1,
    execMs: t3 - t2,
    disposeMs: t5 - t4,
    ...(tables !== undefined ? { tables } : {}),
  }),
);
