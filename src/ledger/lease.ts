/**
 * The lock: a lease row in the environment's own database, so two runs on two
 * machines cannot migrate one environment at once. Times come from the
 * database's clock, not ours, so clock skew between CI runners does not matter.
 * A crashed holder's lease simply expires.
 */
import type { D1Connection } from '../d1/connection.js';

export const LOCK_TABLE = 'promote_lock';
const NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

export const CREATE_LOCK_SQL = `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE}(
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  run_id      TEXT NOT NULL,
  owner       TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  expires_at  INTEGER NOT NULL
)`;

export interface LeaseHolder {
  runId: string;
  owner: string;
  acquiredAt: string;
  /** Epoch ms (database clock). */
  expiresAt: number;
  /** Milliseconds until it expires, as the database sees it. */
  remainingMs: number;
}

export type LeaseResult = { acquired: true } | { acquired: false; holder: LeaseHolder };

/** Takes the lease if it is free, expired, or already ours (a resumed run). One round trip. */
export async function acquireLease(conn: D1Connection, runId: string, owner: string, ttlMs: number): Promise<LeaseResult> {
  const results = await conn.batch([
    { sql: CREATE_LOCK_SQL },
    {
      sql: `INSERT INTO ${LOCK_TABLE} (id, run_id, owner, acquired_at, expires_at)
            VALUES (1, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ${NOW_MS} + ?)
            ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id, owner = excluded.owner,
              acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
            WHERE ${LOCK_TABLE}.expires_at < ${NOW_MS} OR ${LOCK_TABLE}.run_id = excluded.run_id`,
      params: [runId, owner, ttlMs],
    },
    { sql: `SELECT run_id, owner, acquired_at, expires_at, expires_at - ${NOW_MS} AS remaining FROM ${LOCK_TABLE} WHERE id = 1` },
    // Taking a lease we already hold is a no-op, so the transport may repeat this after no answer.
  ], { idempotent: true });
  const row = results[2]?.results[0];
  if (row && row.run_id === runId) return { acquired: true };
  return {
    acquired: false,
    holder: {
      runId: String(row?.run_id),
      owner: String(row?.owner),
      acquiredAt: String(row?.acquired_at),
      expiresAt: Number(row?.expires_at),
      remainingMs: Number(row?.remaining),
    },
  };
}

/** Extends our lease; false when it is no longer ours (it expired and someone took it). */
export async function renewLease(conn: D1Connection, runId: string, ttlMs: number): Promise<boolean> {
  const [res] = await conn.batch([
    { sql: `UPDATE ${LOCK_TABLE} SET expires_at = ${NOW_MS} + ? WHERE id = 1 AND run_id = ?`, params: [ttlMs, runId] },
  ], { idempotent: true });
  return (res?.meta.changes ?? 0) > 0;
}

export async function releaseLease(conn: D1Connection, runId: string): Promise<void> {
  await conn.batch([{ sql: CREATE_LOCK_SQL }, { sql: `DELETE FROM ${LOCK_TABLE} WHERE id = 1 AND run_id = ?`, params: [runId] }], { idempotent: true });
}

/**
 * Makes the lease ours whoever the row names. Only for a holder that already
 * held it before restoring a bookmark: the restore brought back the row as it
 * was when the bookmark was taken (another, finished run's lease), and leaving
 * it would lock the environment for that long-gone run.
 */
export async function reclaimLease(conn: D1Connection, runId: string, owner: string, ttlMs: number): Promise<void> {
  await conn.batch(
    [
      { sql: CREATE_LOCK_SQL },
      {
        sql: `INSERT INTO ${LOCK_TABLE} (id, run_id, owner, acquired_at, expires_at)
              VALUES (1, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ${NOW_MS} + ?)
              ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id, owner = excluded.owner,
                acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
        params: [runId, owner, ttlMs],
      },
    ],
    { idempotent: true },
  );
}
