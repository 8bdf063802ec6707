/**
 * Applying seeds: each seed's statements travel with its promote_seeds row in one batch (one D1
 * transaction), so a seed and its ledger row commit together or not at all. The ledger row goes
 * first: a concurrent run that applied the same seed fails the whole batch on the UNIQUE name
 * before any of its SQL runs twice.
 *
 * promote_seeds has wrangler's ledger shape (id, name, applied_at) plus the file's checksum (a seed
 * edited after it was applied is reported, not applied again) and the run that applied it.
 */
import { D1QueryError, RunError } from '../errors.js';
import { commitOnce } from './commit-once.js';
import type { Seed } from '../migrations/types.js';
import type { D1Connection, SqlStatement } from '../d1/connection.js';
import { multiRowInsert } from './apply.js';
import { SEED_TABLE, readDatabaseState } from './ledger.js';

export { SEED_TABLE };

export const CREATE_SEED_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${SEED_TABLE}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
		checksum   TEXT,
		run_id     TEXT
)`;

export function seedLedgerStatements(chunk: readonly Seed[], runId: string): SqlStatement[] {
  if (chunk.length === 0) return [];
  return [{ sql: CREATE_SEED_TABLE_SQL }, ...multiRowInsert(`INSERT INTO ${SEED_TABLE} (name, checksum, run_id)`, chunk.map((s) => [s.name, s.checksum, runId]), '(?, ?, ?)')];
}

export function seedBody(s: Seed): SqlStatement[] {
  return s.statements.map((st) => ({ sql: st.sql }));
}

/** One batch: the table (if new), the chunk's ledger rows, then each seed's statements in order. */
export function seedChunkStatements(chunk: readonly Seed[], runId: string): SqlStatement[] {
  return [...seedLedgerStatements(chunk, runId), ...chunk.flatMap(seedBody)];
}

export class SeedBatchError extends RunError {
  constructor(
    readonly chunk: readonly Seed[],
    readonly chunkIndex: number,
    readonly applied: readonly Seed[],
    readonly d1Message: string,
  ) {
    const names = chunk.length === 1 ? chunk[0]!.name : `${chunk[0]!.name} .. ${chunk.at(-1)!.name}`;
    super(
      `seed failed: ${d1Message}\n  none of ${names} was applied (they share one transaction); ${applied.length} earlier seed(s) stay applied`,
      'fix the seed, then run the command again: applied migrations and seeds are skipped',
    );
  }
}

export function isConcurrentSeed(message: string): boolean {
  return message.includes('UNIQUE constraint failed') && message.includes(`${SEED_TABLE}.name`);
}

/**
 * Applies the chunks in order, stopping at the first that fails (it rolled back whole). When no
 * answer comes back, promote_seeds says whether the chunk committed before it is sent again.
 */
export async function applySeedChunks(
  conn: D1Connection,
  chunks: readonly (readonly Seed[])[],
  opts: { runId: string; ledgerTable: string },
  onApplied?: (chunk: readonly Seed[]) => void,
): Promise<Seed[]> {
  const applied: Seed[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const send = async () => {
      try {
        await conn.batch(seedChunkStatements(chunk, opts.runId));
      } catch (e) {
        throw e instanceof D1QueryError ? new SeedBatchError(chunk, i, applied, e.message) : e;
      }
    };
    await commitOnce(send, async () => {
      const names = new Set((await readDatabaseState(conn, opts.ledgerTable)).seeds.map((r) => r.name));
      return chunk.every((s) => names.has(s.name));
    });
    applied.push(...chunk);
    onApplied?.(chunk);
  }
  return applied;
}
