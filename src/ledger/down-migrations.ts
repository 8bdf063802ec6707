/**
 * Undoing migrations with their .rollback.sql files, newest first, each with
 * the removal of its ledger and metadata rows in the same transaction: a
 * migration is undone and out of the ledger together, or neither. Several
 * migrations share a batch (chunked like the migrate path) to keep round
 * trips few; a crash between batches leaves every migration either applied
 * with its row or undone without it, so a rerun reads the ledger and undoes
 * only what is still applied.
 */
import { D1QueryError, RollbackFailedError, RunError } from '../errors.js';
import { commitOnce } from './commit-once.js';
import type { Transport } from '../migrations/transport.js';
import { chunkMigrations, MAX_BATCH_BYTES, rollbackBytes } from '../migrations/plan.js';
import type { Migration } from '../migrations/types.js';
import type { D1Connection, ScratchDatabase, SqlStatement } from '../d1/connection.js';
import type { Problem } from '../problems.js';
import { META_TABLE, quoteIdent, readDatabaseState } from './ledger.js';

export function missingRollbacks(migrations: readonly Migration[]): Migration[] {
  return migrations.filter((m) => !m.rollback);
}

interface Origin {
  file: string;
  line: number;
}

/** One migration's undo: its rollback file, then its ledger row and (when the table exists) its metadata row. */
function downStatementsOf(m: Migration, ledgerTable: string, meta: boolean): { statements: SqlStatement[]; origins: (Origin | undefined)[] } {
  if (!m.rollback) throw new Error(`${m.name} has no rollback file`);
  const body = m.rollback.statements;
  const statements: SqlStatement[] = [
    { sql: 'PRAGMA defer_foreign_keys = on' },
    ...body.map((s) => ({ sql: s.sql })),
    { sql: `DELETE FROM ${quoteIdent(ledgerTable)} WHERE name = ?`, params: [m.name] },
    ...(meta ? [{ sql: `DELETE FROM ${META_TABLE} WHERE name = ?`, params: [m.name] }] : []),
  ];
  const origins = [undefined, ...body.map((s) => ({ file: m.rollback!.path, line: s.line })), ...statements.slice(body.length + 1).map(() => undefined)];
  return { statements, origins };
}

/** Every given migration undone in one batch, highest number first. */
export function downMigrationStatements(applied: readonly Migration[], ledgerTable: string): SqlStatement[] {
  return [...applied].sort((a, b) => b.number - a.number).flatMap((m) => downStatementsOf(m, ledgerTable, true).statements);
}

/** A batch of undos, in the given order (newest first), with where each statement came from. */
export function undoBatch(chunk: readonly Migration[], ledgerTable: string, meta = true): { statements: SqlStatement[]; origins: (Origin | undefined)[] } {
  const parts = chunk.map((m) => downStatementsOf(m, ledgerTable, meta));
  return { statements: parts.flatMap((p) => p.statements), origins: parts.flatMap((p) => p.origins) };
}

/** Undos packed, in order, into as few batches as D1 takes (the migrate path's 100 KB budget). */
export function chunkUndos(undo: readonly Migration[], maxBytes = MAX_BATCH_BYTES): Migration[][] {
  return chunkMigrations(undo, maxBytes, rollbackBytes);
}

export interface UndoContext {
  ledgerTable: string;
  /** Whether promote's metadata table exists (a ledger wrangler wrote alone has none). */
  meta: boolean;
  /** Per chunk: 'import' sends it through D1's import flow when the connection has one. */
  transports?: readonly Transport[];
}

/**
 * The undos tried first on a scratch copy of the database's schema, statement
 * by statement, so a rollback file that cannot run is refused with its
 * file:line before anything in the environment is undone. (What only fails
 * on real data still fails in the run: its batch then changes nothing.)
 */
export async function preflightUndo(scratch: ScratchDatabase, schema: readonly string[], undo: readonly Migration[], ctx: Pick<UndoContext, 'ledgerTable' | 'meta'>): Promise<Problem | undefined> {
  if (undo.length === 0) return undefined;
  await scratch.reset(schema);
  for (const m of undo) {
    const { statements, origins } = undoBatch([m], ctx.ledgerTable, ctx.meta);
    for (const [k, stmt] of statements.entries()) {
      try {
        await scratch.batch([stmt]);
      } catch (e) {
        if (!(e instanceof D1QueryError)) throw e;
        const at = origins[k];
        return {
          severity: 'error',
          code: 'E_ROLLBACK_PREFLIGHT',
          file: at?.file ?? m.rollback!.path,
          ...(at ? { line: at.line } : {}),
          message: `rollback preflight failed: ${e.message} (undoing ${m.name})`,
          hint: 'fix this statement of the rollback file; it was tried on a scratch copy of the schema and the environment was not changed',
        };
      }
    }
  }
  return undefined;
}

/**
 * Sends the chunks in order; stops at the first that fails (it changed
 * nothing: one transaction). After no answer, the ledger says whether the
 * chunk committed before anything is sent again, so nothing is undone twice.
 */
export async function undoChunks(conn: D1Connection, chunks: readonly (readonly Migration[])[], ctx: UndoContext, onUndone?: (chunk: readonly Migration[]) => void): Promise<Migration[]> {
  const undone: Migration[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const { statements, origins } = undoBatch(chunk, ctx.ledgerTable, ctx.meta);
    const transport: Transport = ctx.transports?.[i] === 'import' && conn.importBatch ? 'import' : 'query';
    const send = async () => {
      try {
        if (transport === 'import') await conn.importBatch!(statements);
        else await conn.batch(statements);
      } catch (e) {
        if (!(e instanceof D1QueryError)) throw e;
        if (transport === 'import' && (await chunkUndone(conn, chunk, ctx))) return;
        const at = e.statementIndex !== undefined ? origins[e.statementIndex] : undefined;
        const names = chunk.map((m) => m.name).join(', ');
        throw new RollbackFailedError(
          `rollback failed on ${conn.label}: ${e.message}${at ? `\n  at ${at.file}:${at.line}` : ''}\n  none of ${names} was undone (they share one transaction); ${undone.length} migration(s) undone before stay undone`,
          'fix the rollback file, then run the same promote rollback --to again: it continues with what is still applied',
        );
      }
    };
    await commitOnce(send, () => chunkUndone(conn, chunk, ctx));
    undone.push(...chunk);
    onUndone?.(chunk);
  }
  return undone;
}

/** True when every row of the chunk is gone (it committed), false when all are there; a mix cannot come from one transaction. */
async function chunkUndone(conn: D1Connection, chunk: readonly Migration[], ctx: UndoContext): Promise<boolean> {
  const names = new Set((await readDatabaseState(conn, ctx.ledgerTable)).ledger.map((r) => r.name));
  const present = chunk.filter((m) => names.has(m.name));
  if (present.length === 0) return true;
  if (present.length === chunk.length) return false;
  throw new RunError(
    `the ledger of ${conn.label} still holds ${present.map((m) => m.name).join(', ')} but not the rest of ${chunk.map((m) => m.name).join(', ')}, which were undone in one transaction`,
    `inspect ${conn.label} with 'promote status' before running again`,
  );
}

/**
 * Down migrations travel as one transaction. When no answer comes back, the
 * ledger tells whether it committed (their rows are gone) before anything is
 * sent again.
 */
export async function runDownMigrations(a: { conn: D1Connection; ledgerTable: string; migrations: Migration[] }): Promise<void> {
  await commitOnce(
    () => a.conn.batch(downMigrationStatements(a.migrations, a.ledgerTable)),
    async () => {
      const ledger = new Set((await readDatabaseState(a.conn, a.ledgerTable)).ledger.map((r) => r.name));
      return a.migrations.every((m) => !ledger.has(m.name));
    },
  );
}
