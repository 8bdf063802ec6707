/**
 * A connection whose every request carries the step's abort signal, so Ctrl-C or
 * a step timeout reaches the D1 request in flight (the ledger, lease and
 * migration code stays unaware of signals). Every capability of the
 * connection is kept: the import transport goes through `importBatch`.
 */
import type { D1Connection } from './connection.js';

export function withSignal(conn: D1Connection, signal: AbortSignal | undefined): D1Connection {
  if (!signal) return conn;
  const withIt = <O extends { signal?: AbortSignal }>(options: O | undefined): O => ({ ...options, signal: options?.signal ?? signal }) as O;
  return {
    label: conn.label,
    batch: (statements, options) => conn.batch(statements, withIt(options)),
    ...(conn.importBatch ? { importBatch: (statements, options) => conn.importBatch!(statements, withIt(options)) } : {}),
  };
}
