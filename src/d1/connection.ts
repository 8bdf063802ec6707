/**
 * The one seam every engine talks to a D1 database through: a batch of
 * statements that commits as one transaction or not at all. The local target
 * implements it with Miniflare, the cloudflare target with the REST API; the
 * ledger, planner and preflight are written once against it.
 */
export interface SqlStatement {
  sql: string;
  params?: readonly unknown[];
}

export interface StatementMeta {
  duration: number;
  changes: number;
  rows_read?: number;
  rows_written?: number;
}

export interface StatementResult {
  results: Record<string, unknown>[];
  meta: StatementMeta;
}

export interface D1Connection {
  /** Human label for messages, e.g. "staging/DB". */
  readonly label: string;
  /**
   * Runs every statement in one transaction. Throws D1QueryError on SQL errors; nothing commits then.
   * `idempotent`: sending it twice leaves the same state, so a transport may repeat it after no answer.
   */
  batch(statements: readonly SqlStatement[], options?: { signal?: AbortSignal; idempotent?: boolean }): Promise<StatementResult[]>;
  /**
   * Remote D1 only: the statements as one file through D1's import flow, which
   * runs it as one unit (nothing is left of a failed import). Throws
   * D1QueryError when the import ends in error.
   */
  importBatch?(statements: readonly SqlStatement[], options?: { signal?: AbortSignal }): Promise<void>;
}

/**
 * A throwaway database in the local engine used for preflight: reset() drops
 * everything and recreates the given schema in one transaction.
 */
export interface ScratchDatabase extends D1Connection {
  reset(schema: readonly string[]): Promise<void>;
}
