/**
 * The ledger writes of `promote repair`: a rename recorded in wrangler's
 * ledger and in our metadata, and a checksum accepted for a file edited on
 * purpose. Only ledger rows change, never schema or data, and all of a
 * database's repairs travel in one batch, which D1 runs as one transaction.
 */
import type { SqlStatement } from '../d1/connection.js';
import { CREATE_META_SQL, META_TABLE, quoteIdent } from './ledger.js';

export type LedgerRepair =
  | {
      kind: 'rename';
      from: string;
      to: string;
      /** The file's checksum, recorded under the new name. */
      checksum: string;
      /** When the migration was applied (kept; a metadata row is created when wrangler applied it). */
      appliedAt: string;
    }
  | { kind: 'accept-checksum'; name: string; checksum: string; previous?: string; appliedAt: string };

export function repairStatements(ledgerTable: string, repairs: readonly LedgerRepair[], runId: string): SqlStatement[] {
  if (repairs.length === 0) return [];
  const out: SqlStatement[] = [{ sql: CREATE_META_SQL }];
  for (const r of repairs) {
    if (r.kind === 'rename') {
      // Metadata first, guarded by the ledger still holding the old name, so sending the batch twice
      // (after no answer) changes nothing the second time. An existing metadata row keeps its run,
      // time and duration; a wrangler-applied file gets one.
      out.push({
        sql: `INSERT OR IGNORE INTO ${META_TABLE} (name, checksum, run_id, applied_at, adopted)
              SELECT ?, ?, ?, ?, 1 WHERE EXISTS (SELECT 1 FROM ${quoteIdent(ledgerTable)} WHERE name = ?)`,
        params: [r.from, r.checksum, runId, r.appliedAt, r.from],
      });
      out.push({ sql: `UPDATE ${META_TABLE} SET name = ?, checksum = ? WHERE name = ?`, params: [r.to, r.checksum, r.from] });
      out.push({ sql: `UPDATE ${quoteIdent(ledgerTable)} SET name = ? WHERE name = ?`, params: [r.to, r.from] });
    } else {
      out.push({
        sql: `INSERT OR IGNORE INTO ${META_TABLE} (name, checksum, run_id, applied_at, adopted) VALUES (?, ?, ?, ?, 1)`,
        params: [r.name, r.checksum, runId, r.appliedAt],
      });
      out.push({ sql: `UPDATE ${META_TABLE} SET checksum = ? WHERE name = ?`, params: [r.checksum, r.name] });
    }
  }
  return out;
}
