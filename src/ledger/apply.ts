/**
 * Applying migrations: each migration's statements travel with its ledger row
 * and metadata row in the same batch, and a batch is one D1 transaction, so a
 * migration and its ledger row commit together or not at all. Several
 * migrations share a batch (see chunkMigrations) to keep round trips few.
 */
import { D1QueryError, RunError } from '../errors.js';
import type { Transport } from '../migrations/transport.js';
import type { Migration } from '../migrations/types.js';
import type { D1Connection, SqlStatement } from '../d1/connection.js';
import { CREATE_META_SQL, META_TABLE, createLedgerSql, quoteIdent, readDatabaseState, type LedgerRow } from './ledger.js';
import { commitOnce } from './commit-once.js';

export interface ApplyContext {
  ledgerTable: string;
  runId: string;
  /** Applied by wrangler without our metadata: record their checksums in the first batch. */
  adopt: readonly { migration: Migration; ledger: LedgerRow | undefined }[];
  /**
   * Per chunk index: 'import' sends that chunk through D1's import flow (one
   * uploaded file, one unit) when the connection has one; else /query.
   */
  transports?: readonly Transport[];
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

/** D1 binds at most 100 parameters per statement. */
const MAX_PARAMS = 100;

export function multiRowInsert(head: string, rows: readonly unknown[][], tuple: string): SqlStatement[] {
  const width = rows[0]?.length ?? 1;
  const per = Math.max(1, Math.floor(MAX_PARAMS / width));
  const out: SqlStatement[] = [];
  for (let i = 0; i < rows.length; i += per) {
    const group = rows.slice(i, i + per);
    out.push({ sql: `${head} VALUES ${group.map(() => tuple).join(', ')}`, params: group.flat() });
  }
  return out;
}

/**
 * The ledger rows of a chunk go first: if a concurrent run applied one of
 * these files, its UNIQUE name fails the whole batch before any SQL runs
 * twice. Our metadata rows follow, stamped with the start time.
 */
export function ledgerStatements(chunk: readonly Migration[], ctx: ApplyContext): SqlStatement[] {
  if (chunk.length === 0) return [];
  return [
    ...multiRowInsert(`INSERT INTO ${quoteIdent(ctx.ledgerTable)} (name)`, chunk.map((m) => [m.name]), '(?)'),
    ...multiRowInsert(
      `INSERT OR REPLACE INTO ${META_TABLE} (name, checksum, run_id, applied_at, started_jd, adopted)`,
      chunk.map((m) => [m.name, m.checksum, ctx.runId]),
      "(?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), julianday('now'), 0)",
    ),
  ];
}

/**
 * After a migration's SQL: its duration, and the start of the next one, in a
 * single statement. julianday('now') advances between statements in D1, so
 * each migration's in-database time is measured without another round trip.
 */
export function durationStatement(m: Migration, next: Migration | undefined): SqlStatement {
  const nextName = next?.name ?? m.name;
  return {
    sql: `UPDATE ${META_TABLE} SET
      duration_ms = CASE WHEN name = ? THEN round((julianday('now') - started_jd) * 86400000.0, 3) ELSE duration_ms END,
      started_jd = CASE WHEN name = ? AND name <> ? THEN julianday('now') ELSE started_jd END
      WHERE name IN (?, ?)`,
    params: [m.name, nextName, m.name, m.name, nextName],
  };
}

export function migrationBody(m: Migration): SqlStatement[] {
  return m.statements.map((s) => ({ sql: s.sql }));
}

export function chunkStatements(chunk: readonly Migration[], index: number, ctx: ApplyContext): SqlStatement[] {
  const head = index === 0 ? bootstrapStatements(ctx) : [];
  return [
    ...head,
    ...ledgerStatements(chunk, ctx),
    ...chunk.flatMap((m, i) => [...migrationBody(m), durationStatement(m, chunk[i + 1])]),
  ];
}

export class MigrationBatchError extends RunError {
  constructor(
    readonly chunk: readonly Migration[],
    readonly chunkIndex: number,
    readonly applied: readonly Migration[],
    readonly d1Message: string,
    transport: Transport = 'query',
  ) {
    const names = chunk.length === 1 ? chunk[0]!.name : `${chunk[0]!.name} .. ${chunk.at(-1)!.name}`;
    // The field's failure: /query cut a multi-line statement at a line-ending semicolon.
    const mangled = transport === 'query' && /incomplete input/i.test(d1Message);
    super(
      `migration failed: ${d1Message}\n  none of ${names} was applied (they share one ${transport === 'import' ? 'import' : 'transaction'}); ${applied.length} earlier migration(s) stay applied` +
        (mangled ? "\n  D1's /query cuts statements at semicolons that end a line, which breaks multi-line triggers" : ''),
      mangled
        ? 'set transport: auto (or import) for this database in the environment file (databases: - binding: DB, transport: auto), then run again'
        : 'fix the migration, then run the command again: applied migrations are skipped',
    );
  }
}

export function isConcurrentApply(message: string, ledgerTable: string): boolean {
  return message.includes('UNIQUE constraint failed') && message.includes(`${ledgerTable}.name`);
}

/**
 * Applies the chunks in order; stops at the first failing chunk (it rolled
 * back as a whole). When a chunk's outcome is unknown (no answer), the ledger
 * says whether it committed (a chunk commits whole), and only a chunk that
 * did not is sent again.
 */
export async function applyChunks(
  conn: D1Connection,
  chunks: readonly (readonly Migration[])[],
  ctx: ApplyContext,
  onApplied?: (chunk: readonly Migration[]) => void,
): Promise<Migration[]> {
  const applied: Migration[] = [];
  const batches = chunks.length > 0 ? chunks : ctx.adopt.length > 0 ? [[]] : [];
  for (const [i, chunk] of batches.entries()) {
    const transport: Transport = ctx.transports?.[i] === 'import' && conn.importBatch ? 'import' : 'query';
    const send = async () => {
      try {
        if (transport === 'import') await conn.importBatch!(chunkStatements(chunk, i, ctx));
        else await conn.batch(chunkStatements(chunk, i, ctx));
      } catch (e) {
        if (!(e instanceof D1QueryError)) throw e;
        // D1 says a failed import leaves the database as it was; the ledger must agree before we say so.
        if (transport === 'import' && (await importCommitted(conn, chunk, ctx))) return;
        throw new MigrationBatchError(chunk, i, applied, e.message, transport);
      }
    };
    await commitOnce(send, () => chunkCommitted(conn, chunk, ctx));
    applied.push(...chunk);
    onApplied?.(chunk);
  }
  return applied;
}

/** After a failed import: true when it committed after all (the ledger has every row); throws when it left part of the chunk. */
async function importCommitted(conn: D1Connection, chunk: readonly Migration[], ctx: ApplyContext): Promise<boolean> {
  if (chunk.length === 0) return false;
  const names = new Set((await readDatabaseState(conn, ctx.ledgerTable)).ledger.map((r) => r.name));
  const present = chunk.filter((m) => names.has(m.name));
  if (present.length === 0) return false;
  if (present.length === chunk.length) return true;
  throw new RunError(
    `the D1 import of ${chunk.map((m) => m.name).join(', ')} failed, yet the ledger of ${conn.label} holds ${present.map((m) => m.name).join(', ')}: part of it was applied`,
    `inspect ${conn.label} with 'promote status'; restore it with Time Travel (promote rollback) before running again`,
  );
}

async function chunkCommitted(conn: D1Connection, chunk: readonly Migration[], ctx: ApplyContext): Promise<boolean> {
  const state = await readDatabaseState(conn, ctx.ledgerTable);
  if (chunk.length === 0) return state.meta.size > 0;
  const names = new Set(state.ledger.map((r) => r.name));
  return chunk.every((m) => names.has(m.name));
}
