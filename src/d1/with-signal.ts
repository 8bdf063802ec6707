/**
 * A connection whose every batch carries the step's abort signal, so Ctrl-C or
 * a step timeout reaches the D1 request in flight (the ledger, lease and
 * migration code stays unaware of signals).
 */
import type { D1Connection } from './connection.js';

export function withSignal<C extends D1Connection>(conn: C, signal: AbortSignal | undefined): D1Connection {
  if (!signal) return conn;
  return {
    label: conn.label,
    batch: (statements, options) => conn.batch(statements, { ...options, signal: options?.signal ?? signal }),
  };
}
