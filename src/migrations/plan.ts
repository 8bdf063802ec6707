/**
 * Pure planning: files on disk + what a database's ledger says -> what is
 * applied, pending, drifted. No I/O, so every rule is tested without a database.
 */
import type { LedgerRow, MetaRow } from './applied-state.js';
import type { Migration } from './types.js';

export interface AppliedMigration {
  name: string;
  appliedAt: string;
  /** Absent when another tool (wrangler) applied it and we have not recorded a checksum yet. */
  checksum?: string;
  durationMs?: number;
  runId?: string;
  /** Recorded by `promote baseline`: proven from the schema, not applied by promote. */
  baseline?: true;
}

export type DriftReason = 'checksum changed' | 'file missing';

export interface Drift {
  name: string;
  reason: DriftReason;
}

export interface DatabasePlan {
  applied: AppliedMigration[];
  pending: Migration[];
  drift: Drift[];
  /** Applied by wrangler (no checksum yet): promote records the current checksum when it next migrates. */
  adoptable: Migration[];
  /** Pending files numbered below the newest applied one (a late merge). */
  outOfOrder: { name: string; newestApplied: string }[];
}

export function planDatabase(
  migrations: readonly Migration[],
  state: { ledger: readonly LedgerRow[]; meta: ReadonlyMap<string, MetaRow> },
): DatabasePlan {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const appliedNames = new Set(state.ledger.map((r) => r.name));
  const applied: AppliedMigration[] = [];
  const drift: Drift[] = [];
  const adoptable: Migration[] = [];

  for (const row of state.ledger) {
    const meta = state.meta.get(row.name);
    const file = byName.get(row.name);
    applied.push({
      name: row.name,
      appliedAt: row.applied_at,
      ...(meta ? { checksum: meta.checksum, runId: meta.run_id } : {}),
      ...(meta?.duration_ms != null ? { durationMs: meta.duration_ms } : {}),
      // 2 is ADOPTED.baseline (src/ledger/ledger.ts), spelled out here to keep this module free of the ledger's code.
      ...(meta?.adopted === 2 ? { baseline: true as const } : {}),
    });
    if (!file) drift.push({ name: row.name, reason: 'file missing' });
    else if (!meta) adoptable.push(file);
    else if (meta.checksum !== file.checksum) drift.push({ name: row.name, reason: 'checksum changed' });
  }

  const pending = migrations.filter((m) => !appliedNames.has(m.name));
  const newest = migrations.filter((m) => appliedNames.has(m.name)).at(-1);
  const outOfOrder = newest
    ? pending.filter((m) => m.number < newest.number).map((m) => ({ name: m.name, newestApplied: newest.name }))
    : [];
  return { applied, pending, drift, adoptable, outOfOrder };
}

/** D1 rejects a request over 30 s and statements over 100 KB; 100 KB of SQL per request keeps both in reach. */
export const MAX_BATCH_BYTES = 100_000;

/** Overhead we add per migration (ledger and metadata rows), counted so a chunk never outgrows its budget. */
const PER_MIGRATION_OVERHEAD = 400;

export function migrationBytes(m: Migration): number {
  return m.statements.reduce((n, s) => n + s.bytes, 0) + PER_MIGRATION_OVERHEAD;
}

/**
 * Packs pending migrations, in order, into as few requests as fit `maxBytes`.
 * A migration larger than the budget travels alone (its statements are each
 * under 100 KB: lint guarantees that).
 */
export function chunkMigrations(pending: readonly Migration[], maxBytes = MAX_BATCH_BYTES): Migration[][] {
  const chunks: Migration[][] = [];
  let current: Migration[] = [];
  let size = 0;
  for (const m of pending) {
    const bytes = migrationBytes(m);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
