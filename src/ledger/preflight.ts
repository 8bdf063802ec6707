/**
 * Preflight: the exact batches a migration would send, run first against a
 * scratch database holding the environment's current schema. A SQL error there
 * stops the run before the environment is touched, and is located to the file
 * and line of the statement that caused it.
 */
import { D1QueryError } from '../errors.js';
import type { Migration, Seed, SqlFile } from '../migrations/types.js';
import type { Problem } from '../problems.js';
import type { ScratchDatabase } from '../d1/connection.js';
import { bootstrapStatements, chunkStatements, ledgerStatements, migrationBody, type ApplyContext } from './apply.js';
import { seedBody, seedChunkStatements, seedLedgerStatements } from './seeds.js';

/** `durationsMs[i]`: chunk i's time on the scratch copy (a chunk slow here may not fit D1's 30 s per /query request). */
export type PreflightResult = { ok: true; durationsMs: number[] } | { ok: false; problem: Problem };

export interface PreflightAdvice {
  /** Set when the database has no ledger rows: "already exists" then means schema applied without promote. */
  baselineCommand?: string;
}

export async function preflight(
  scratch: ScratchDatabase,
  schema: readonly string[],
  chunks: readonly (readonly Migration[])[],
  ctx: ApplyContext,
  advice: PreflightAdvice = {},
  /** The database's pending seeds, tried after its migrations on the same scratch copy. */
  seedChunks: readonly (readonly Seed[])[] = [],
): Promise<PreflightResult> {
  await scratch.reset(schema);
  const durationsMs: number[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const started = performance.now();
    try {
      await scratch.batch(chunkStatements(chunk, i, ctx));
    } catch (e) {
      if (!(e instanceof D1QueryError)) throw e;
      return { ok: false, problem: withAdvice(await locateFailure(scratch, schema, chunks, i, ctx, e.message), advice) };
    }
    durationsMs.push(performance.now() - started);
  }
  for (const [i, chunk] of seedChunks.entries()) {
    try {
      await scratch.batch(seedChunkStatements(chunk, ctx.runId));
    } catch (e) {
      if (!(e instanceof D1QueryError)) throw e;
      return { ok: false, problem: await locateSeedFailure(scratch, schema, chunks, seedChunks, i, ctx, e.message) };
    }
  }
  return { ok: true, durationsMs };
}

/** The statement of a seed chunk D1 rejects: every migration and the earlier seed chunks first, then one statement at a time. */
export async function locateSeedFailure(
  scratch: ScratchDatabase,
  schema: readonly string[],
  chunks: readonly (readonly Migration[])[],
  seedChunks: readonly (readonly Seed[])[],
  failing: number,
  ctx: ApplyContext,
  batchMessage: string,
): Promise<Problem> {
  await scratch.reset(schema);
  for (const [i, chunk] of chunks.entries()) await scratch.batch(chunkStatements(chunk, i, ctx));
  for (let i = 0; i < failing; i++) await scratch.batch(seedChunkStatements(seedChunks[i]!, ctx.runId));
  for (const s of seedChunks[failing]!) {
    await scratch.batch(seedLedgerStatements([s], ctx.runId));
    for (const [k, stmt] of seedBody(s).entries()) {
      try {
        await scratch.batch([stmt]);
      } catch (e) {
        if (!(e instanceof D1QueryError)) throw e;
        return seedProblem(s, s.statements[k]!.line, e.message);
      }
    }
  }
  return seedProblem(seedChunks[failing]![0]!, undefined, batchMessage);
}

function seedProblem(s: Seed, line: number | undefined, message: string): Problem {
  return {
    ...sqlProblem(s, line, message),
    hint: 'fix this statement; the seed was tried after the pending migrations on a scratch copy of the schema (which holds no rows: a seed must insert what it references), and the environment was not changed',
  };
}

/**
 * Replays up to the failing chunk one statement at a time (each its own
 * transaction) to find the statement D1 rejects. Only runs on the failure path.
 */
export async function locateFailure(
  scratch: ScratchDatabase,
  schema: readonly string[],
  chunks: readonly (readonly Migration[])[],
  failing: number,
  ctx: ApplyContext,
  batchMessage: string,
): Promise<Problem> {
  await scratch.reset(schema);
  for (let i = 0; i < failing; i++) await scratch.batch(chunkStatements(chunks[i]!, i, ctx));
  if (failing === 0) await scratch.batch(bootstrapStatements(ctx));
  for (const m of chunks[failing]!) {
    await scratch.batch(ledgerStatements([m], ctx));
    for (const [k, stmt] of migrationBody(m).entries()) {
      try {
        await scratch.batch([stmt]);
      } catch (e) {
        if (!(e instanceof D1QueryError)) throw e;
        return sqlProblem(m, m.statements[k]!.line, e.message);
      }
    }
  }
  const first = chunks[failing]![0]!;
  return sqlProblem(first, undefined, batchMessage);
}

function sqlProblem(m: SqlFile, line: number | undefined, message: string): Problem {
  return {
    severity: 'error',
    code: 'E_PREFLIGHT_SQL',
    file: m.path,
    ...(line !== undefined ? { line } : {}),
    message: `preflight failed: ${message}`,
    hint: 'fix this statement; it was tried on a scratch copy of the schema and the environment was not changed',
  };
}

/** A table that "already exists" in a database without a ledger was made by hand or by another tool: adopt it, do not edit it. */
function withAdvice(problem: Problem, advice: PreflightAdvice): Problem {
  if (!advice.baselineCommand || !/already exists/.test(problem.message)) return problem;
  return {
    ...problem,
    hint: `the database has this schema but no ledger (applied by hand or by another tool): run \`${advice.baselineCommand}\` to record which migrations it already has; the environment was not changed`,
  };
}
