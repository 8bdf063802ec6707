import { InvalidInputError, LockedError, RunError } from '../../errors.js';
import { MigrationBatchError, applyChunks, isConcurrentApply, type ApplyContext } from '../../ledger/apply.js';
import { readDatabaseState, schemaSql } from '../../ledger/ledger.js';
import { locateFailure, locateSeedFailure, preflight } from '../../ledger/preflight.js';
import { SeedBatchError, applySeedChunks, isConcurrentSeed } from '../../ledger/seeds.js';
import { chunkMigrations } from '../../migrations/plan.js';
import { chunkTransports } from '../../migrations/transport.js';
import type { Migration, Seed } from '../../migrations/types.js';
import { parseMigrationName } from '../../migrations/index.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { observeEnvironment } from '../../engine/observe.js';
import type { HandleDatabase } from '../../targets/environment-handle.js';
import { applyContextFor } from '../../engine/observe.js';
import { planPromotion } from '../../engine/promotion-plan.js';
import { resolveTargetFor } from '../../engine/rollback-to-version.js';
import { pendingUpTo } from '../../engine/version-target.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { fleetsLeftAlone } from '../../engine/fleet-status.js';
import { newRunId } from '../../runs/run-id.js';
import type { CommandContext } from '../command-context.js';
import { withProjectSecrets } from '../settings.js';
import { paint, printProblems } from '../output.js';

export async function run({ root, output, env, settings: base, values }: CommandContext<'migrate'>): Promise<number> {
  if (!values.env) throw new InvalidInputError([], 'migrate needs --env <environment>');
  const started = performance.now();
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  printProblems(output, ws.warnings);
  const target = selectEnvironment(ws.project, String(values.env), '--env');
  printProblems(output, fleetsLeftAlone(ws, target, 'migrate'));
  const observed = await observeEnvironment(ws, target, { start: true, settings });
  const handle = observed.handle!;
  const runId = newRunId();
  try {
    // --to NNNN: the pending files numbered up to NNNN; NNNN must name a file.
    const to = values.to !== undefined ? resolveTargetFor(ws, handle, String(values.to), 'migrate') : undefined;
    // migrate never rolls back, so no rollback policy is planned for.
    const stage = planPromotion(ws, [observed], {}).stages[0]!;
    if (stage.problems.some((p) => p.severity === 'error')) throw new InvalidInputError(stage.problems);
    printProblems(output, stage.warnings);
    // Seeds follow the environment's migrations: with files left pending above --to, they wait too.
    const seedsWait = stage.databases.some((d) => pendingUpTo(d.pending, to).length < d.pending.length);

    // Every database passes preflight (its migrations, then its seeds) before any of them is changed.
    const work = stage.databases.map(({ observed: d, pending: all, seeds }, i) => {
      const pending = pendingUpTo(all, to);
      return {
        d,
        db: handle.databases[i]!,
        ctx: applyContextFor(d, runId),
        pending,
        later: all.filter((m) => !pending.includes(m)),
        chunks: chunkMigrations(pending),
        seedChunks: seedsWait ? [] : chunkMigrations(seeds),
        schema: schemaSql(d.state.schema),
      };
    });
    for (const w of work) {
      const advice = w.d.state.ledger.length === 0 && w.chunks.length > 0 ? { baselineCommand: `promote baseline --env ${target.name}` } : {};
      const result = await preflight(await w.db.scratch(), w.schema, w.chunks, w.ctx, advice, w.seedChunks);
      if (!result.ok) throw new InvalidInputError([result.problem], `preflight failed on ${target.name}/${w.d.binding}; nothing was changed`);
      w.ctx = { ...w.ctx, transports: chunkTransports(w.chunks, w.d.transport, result.durationsMs).map((c) => c.transport) };
    }

    const summary = {
      type: 'summary',
      command: 'migrate',
      environment: target.name,
      runId,
      dryRun: Boolean(values['dry-run']),
      ...(to ? { to: to.text } : {}),
      databases: [] as { binding: string; applied: string[]; pending: string[]; seeds: { applied: string[]; pending: string[] }; requests: number }[],
      durationMs: 0,
    };
    for (const w of work) {
      const pending = w.pending;
      const later = w.later.length > 0 && !output.json ? ` (${w.later.length} later file(s) stay pending above --to ${to?.text})` : '';
      const seeds = w.d.seedPlan.pending;
      const waiting = seedsWait && seeds.length > 0 && !output.json ? `; its ${seeds.length} seed(s) wait until every migration is applied` : '';
      if (values['dry-run']) {
        const seeding = seedsWait ? [] : seeds;
        summary.databases.push({ binding: w.d.binding, applied: [], pending: pending.map((m) => m.name), seeds: { applied: [], pending: seeding.map((s) => s.name) }, requests: w.chunks.length + w.seedChunks.length });
        if (!output.json) {
          output.out(`${target.name}/${w.d.binding}: ${pending.length} pending${to ? ` up to ${to.text}` : ''}${seeding.length > 0 ? `, ${seeding.length} seed(s)` : ''}, preflight passed (dry run: nothing applied)${later}${waiting}`);
          for (const m of pending) output.out(`  would apply ${m.name}`);
          for (const s of seeding) output.out(`  would seed ${s.name}`);
        }
        continue;
      }
      const applied = await applyOrExplain(w, (chunk) => {
        if (!output.json) for (const m of chunk) output.out(`  ${paint(output, 'green', '✓')} ${target.name}/${w.d.binding} ${m.name}`);
      });
      summary.databases.push({ binding: w.d.binding, applied: applied.map((m) => m.name), pending: w.later.map((m) => m.name), seeds: { applied: [], pending: seedsWait ? seeds.map((s) => s.name) : [] }, requests: w.chunks.length + w.seedChunks.length });
      if (applied.length > 0 && (later || waiting)) output.out(`${target.name}/${w.d.binding}:${later}${waiting}`);
    }
    // Seeds after the migrations of every database, as in a promotion's migrate step.
    if (!values['dry-run']) {
      for (const [i, w] of work.entries()) {
        const seeded = await seedOrExplain(w, runId, (chunk) => {
          if (!output.json) for (const s of chunk) output.out(`  ${paint(output, 'green', '✓')} ${target.name}/${w.d.binding} seed ${s.name}`);
        });
        const d = summary.databases[i]!;
        d.seeds.applied = seeded.map((s) => s.name);
        if (output.json || d.applied.length > 0 || seeded.length > 0) continue;
        const later = w.later.length > 0 ? ` (${w.later.length} later file(s) stay pending above --to ${to?.text})` : '';
        const waiting = d.seeds.pending.length > 0 ? `; its ${d.seeds.pending.length} seed(s) wait until every migration is applied` : '';
        output.out(`${target.name}/${w.d.binding}: up to date${to ? ` at ${to.text}${aboveTarget(w.d.state.ledger, to.number)}` : ''}${later}${waiting}`);
      }
    }
    summary.durationMs = Math.round(performance.now() - started);
    if (output.json) output.out(JSON.stringify(summary));
    else if (!values['dry-run']) {
      const n = summary.databases.reduce((k, d) => k + d.applied.length, 0);
      const seeded = summary.databases.reduce((k, d) => k + d.seeds.applied.length, 0);
      output.out(`migrated ${target.name}: ${n} migration(s)${seeded > 0 ? ` and ${seeded} seed(s)` : ''} applied in ${(summary.durationMs / 1000).toFixed(2)} s (run ${runId})`);
    }
    return 0;
  } finally {
    await handle.dispose();
  }
}

/** When the database already holds migrations above the target: migrate does not go back, rollback --to does. */
function aboveTarget(ledger: readonly { name: string }[], n: number): string {
  const above = ledger.filter((r) => (parseMigrationName(r.name)?.number ?? 0) > n).map((r) => r.name);
  return above.length === 0 ? '' : ` (${above.join(', ')} applied above it: promote rollback --to undoes them)`;
}

type Work = { d: { binding: string; ledgerTable: string }; db: HandleDatabase; ctx: ApplyContext; chunks: Migration[][]; seedChunks: Seed[][]; schema: string[] };

/** Applies the seeds; when D1 rejects a batch, finds the statement on the scratch database (after the now-applied migrations). */
async function seedOrExplain(w: Work, runId: string, onApplied: (chunk: readonly Seed[]) => void): Promise<Seed[]> {
  const conn = w.db.conn;
  try {
    return await applySeedChunks(conn, w.seedChunks, { runId, ledgerTable: w.d.ledgerTable }, onApplied);
  } catch (e) {
    if (!(e instanceof SeedBatchError)) throw e;
    if (isConcurrentSeed(e.d1Message)) {
      throw new LockedError(
        `another run applied ${e.chunk.map((s) => s.name).join(', ')} to ${conn.label} at the same time; this run applied none of them`,
        'run promote status to see where the database is; nothing was applied twice',
      );
    }
    const now = await readDatabaseState(conn, w.d.ledgerTable);
    const problem = await locateSeedFailure(await w.db.scratch(), schemaSql(now.schema), [], w.seedChunks.slice(e.chunkIndex), 0, { ...w.ctx, adopt: [] }, e.d1Message);
    const where = problem.line !== undefined ? `${problem.file}:${problem.line}` : problem.file;
    throw new RunError(`${e.message}\n  at ${where}`, e.hint, { cause: e });
  }
}

/** Applies; when D1 rejects a batch, finds the statement on the scratch database so the error names file:line. */
async function applyOrExplain(w: Work, onApplied: (chunk: readonly Migration[]) => void): Promise<Migration[]> {
  const conn = w.db.conn;
  try {
    return await applyChunks(conn, w.chunks, w.ctx, onApplied);
  } catch (e) {
    if (!(e instanceof MigrationBatchError)) throw e;
    if (isConcurrentApply(e.d1Message, w.d.ledgerTable)) {
      throw new LockedError(
        `another run applied ${e.chunk.map((m) => m.name).join(', ')} to ${conn.label} at the same time; this run applied none of them`,
        'run promote status to see where the database is; nothing was applied twice',
      );
    }
    const now = await readDatabaseState(conn, w.d.ledgerTable);
    const remaining = w.chunks.slice(e.chunkIndex);
    const problem = await locateFailure(await w.db.scratch(), schemaSql(now.schema), remaining, 0, { ...w.ctx, adopt: [] }, e.d1Message);
    const where = problem.line !== undefined ? `${problem.file}:${problem.line}` : problem.file;
    throw new RunError(`${e.message}\n  at ${where}`, e.hint, { cause: e });
  }
}
