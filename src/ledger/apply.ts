/**
 * Applying migrations: each migration's statements travel with its ledger row
 * and metadata row in the same batch, and a batch is one D1 transaction, so a
 * migration and its ledger row commit together or not at all. Several
 * migrations share a batch (see chunkMigrations) to keep round trips few.
 */
import { D1QueryError, RunError } from '../errors.js';
import type { Migration } from '../migrations/types.js';
import type { D1Connection, SqlStatement } from '../targets/d1-connection.js';
import { CREATE_META_SQL, META_TABLE, createLedgerSql, quoteIdent, type LedgerRow } from './ledger.js';

export interface ApplyContext {
  ledgerTable: string;
  runId: string;
  /** Applied by wrangler without our metadata: record their checksums in the first batch. */
  adopt: readonly { migration: Migration; ledger: LedgerRow | undefined }[];
}

/** Creates the ledger tables if needed and adopts foreign-applied migrations. */
export function bootstrapStatements(ctx: ApplyContext): SqlStatement[] {
  return [
    { sql: createLedgerSql(ctx.ledgerTable) },
    { sql: CREATE_META_SQL },
    ...ctx.adopt.map(({ migration, ledger }) => ({
      sql: `INSERT OR IGNORE INTO ${META_TABLE} (name, checksum, run_id, applied_at, adopted) VALUES (?, ?, ?, ?, 1)`,
      params: [migration.name, migration.checksum, ctx.runId, ledger?.applied_at ?? new Date().toISOString()],
    })),
  ];
}

/**
 * The ledger row goes first: if a concurrent run applied the same file, the
 * UNIQUE name fails the whole batch before any of its SQL runs twice.
 * julianday('now') advances between statements in D1, so the in-database
 * duration of each migration is measured without an extra round trip.
 */
export function migrationStatements(m: Migration, ctx: ApplyContext): SqlStatement[] {
  return [
    { sql: `INSERT INTO ${quoteIdent(ctx.ledgerTable)} (name) VALUES (?)`, params: [m.name] },
    {
      sql: `INSERT OR REPLACE INTO ${META_TABLE} (name, checksum, run_id, applied_at, started_jd, adopted) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), julianday('now'), 0)`,
      params: [m.name, m.checksum, ctx.runId],
    },
    ...m.statements.map((s) => ({ sql: s.sql })),
    {
      sql: `UPDATE ${META_TABLE} SET duration_ms = round((julianday('now') - started_jd) * 86400000.0, 3) WHERE name = ?`,
      params: [m.name],
    },
  ];
}

export function chunkStatements(chunk: readonly Migration[], index: number, ctx: ApplyContext): SqlStatement[] {
  const head = index === 0 ? bootstrapStatements(ctx) : [];
  return [...head, ...chunk.flatMap((m) => migrationStatements(m, ctx))];
}

export class MigrationBatchError extends RunError {
  constructor(
    readonly chunk: readonly Migration[],
    readonly chunkIndex: number,
    readonly applied: readonly Migration[],
    readonly d1Message: string,
  ) {
    const names = chunk.length === 1 ? chunk[0]!.name : `${chunk[0]!.name} .. ${chunk.at(-1)!.name}`;
    super(
      `migration failed: ${d1Message}\n  none of ${names} was applied (they share one transaction); ${applied.length} earlier migration(s) stay applied`,
      'fix the migration, then run the command again: applied migrations are skipped',
    );
  }
}

export function isConcurrentApply(message: string, ledgerTable: string): boolean {
  return message.includes('UNIQUE constraint failed') && message.includes(`${ledgerTable}.name`);
}

/** Applies the chunks in order; stops at the first failing chunk (it rolled back as a whole). */
export async function applyChunks(
  conn: D1Connection,
  chunks: readonly (readonly Migration[])[],
  ctx: ApplyContext,
  onApplied?: (chunk: readonly Migration[]) => void,
): Promise<Migration[]> {
  const applied: Migration[] = [];
  const batches = chunks.length > 0 ? chunks : ctx.adopt.length > 0 ? [[]] : [];
  for (const [i, chunk] of batches.entries()) {
    try {
      await conn.batch(chunkStatements(chunk, i, ctx));
    } catch (e) {
      if (e instanceof D1QueryError) throw new MigrationBatchError(chunk, i, applied, e.message);
      throw e;
    }
    applied.push(...chunk);
    onApplied?.(chunk);
  }
  return applied;
}
