/**
 * Pure planning: files on disk + what a database's ledger says -> what is
 * applied, pending, drifted, renamed or retired. No I/O, so every rule is
 * tested without a database.
 */
import type { LedgerRow, MetaRow, SchemaObject } from './applied-state.js';
import { createdObjects } from './created-objects.js';
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
  /**
   * For a missing file: a pending file with the same name after its number whose contents differ
   * from what was applied, so it is not a rename (repair refuses it).
   */
  lookalike?: string;
}

/**
 * An applied migration whose file now has another name (renumbered, e.g. the second of two 0001_ files
 * became 0002_). `match` says how we know it is the same migration:
 * - 'checksum': the file's checksum equals the one recorded when it was applied;
 * - 'name': no checksum was ever recorded (wrangler applied it), the name after the number is the
 *   same, and every table, index, view and trigger the file creates exists in the database.
 */
export interface Rename {
  from: string;
  to: Migration;
  match: 'checksum' | 'name';
}

export interface DatabasePlan {
  applied: AppliedMigration[];
  pending: Migration[];
  drift: Drift[];
  /** Applied by wrangler (no checksum yet): promote records the current checksum when it next migrates. */
  adoptable: Migration[];
  /** Pending files numbered below the newest applied one (a late merge). */
  outOfOrder: { name: string; newestApplied: string }[];
  /** Applied under one name, on disk under another: `promote repair` records the new name. */
  renamed: Rename[];
  /** Applied, file removed on purpose (listed in the folder's .retired file): neither drift nor pending. */
  retired: string[];
}

export interface PlanInput {
  ledger: readonly LedgerRow[];
  meta: ReadonlyMap<string, MetaRow>;
  /** The live schema, to confirm a rename that has no recorded checksum. */
  schema?: readonly SchemaObject[];
  /** Names recorded as retired in the migrations folder. */
  retired?: ReadonlySet<string>;
}

export function planDatabase(migrations: readonly Migration[], state: PlanInput): DatabasePlan {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const appliedNames = new Set(state.ledger.map((r) => r.name));
  const applied: AppliedMigration[] = [];
  const drift: Drift[] = [];
  const adoptable: Migration[] = [];
  const retired: string[] = [];
  const missing: LedgerRow[] = [];

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
    if (!file) {
      if (state.retired?.has(row.name)) retired.push(row.name);
      else missing.push(row);
    } else if (!meta) adoptable.push(file);
    else if (meta.checksum !== file.checksum) drift.push({ name: row.name, reason: 'checksum changed' });
  }

  const unapplied = migrations.filter((m) => !appliedNames.has(m.name));
  const { renamed, unmatched } = findRenames(missing, unapplied, state);
  drift.push(...unmatched);
  const renamedTo = new Set(renamed.map((r) => r.to.name));
  const pending = unapplied.filter((m) => !renamedTo.has(m.name));
  const newest = migrations.filter((m) => appliedNames.has(m.name) || renamedTo.has(m.name)).at(-1);
  const outOfOrder = newest
    ? pending.filter((m) => m.number < newest.number).map((m) => ({ name: m.name, newestApplied: newest.name }))
    : [];
  return { applied, pending, drift, adoptable, outOfOrder, renamed, retired };
}

/** `0001_x.sql` -> `x.sql`; `0001_x/migration.sql` -> `x/migration.sql`: the name a renumbering keeps. */
function nameAfterNumber(name: string): string {
  return name.replace(/^\d+_/, '');
}

/**
 * Pairs applied rows whose file is gone with unapplied files. A checksum match wins; without a recorded
 * checksum only a file with the same name after its number whose created objects all exist counts.
 * Each file pairs at most once, so two missing rows can never both claim one file.
 */
function findRenames(missing: readonly LedgerRow[], unapplied: readonly Migration[], state: PlanInput): { renamed: Rename[]; unmatched: Drift[] } {
  const taken = new Set<string>();
  const renamed: Rename[] = [];
  const unmatched: Drift[] = [];
  const live = new Set((state.schema ?? []).map((o) => `${o.type}:${o.name.toLowerCase()}`));
  for (const row of missing) {
    const free = unapplied.filter((m) => !taken.has(m.name));
    const checksum = state.meta.get(row.name)?.checksum;
    const sameName = free.filter((m) => nameAfterNumber(m.name) === nameAfterNumber(row.name));
    let rename: Rename | undefined;
    if (checksum !== undefined) {
      const same = free.filter((m) => m.checksum === checksum);
      const to = same.find((m) => sameName.includes(m)) ?? (same.length === 1 ? same[0] : undefined);
      if (to) rename = { from: row.name, to, match: 'checksum' };
    } else if (sameName.length === 1 && createdObjects(sameName[0]!).every((o) => live.has(`${o.type}:${o.name.toLowerCase()}`))) {
      rename = { from: row.name, to: sameName[0]!, match: 'name' };
    }
    if (rename) {
      taken.add(rename.to.name);
      renamed.push(rename);
    } else {
      unmatched.push({ name: row.name, reason: 'file missing', ...(sameName.length === 1 ? { lookalike: sameName[0]!.name } : {}) });
    }
  }
  return { renamed, unmatched };
}

/** D1 rejects a request over 30 s and statements over 100 KB; 100 KB of SQL per request keeps both in reach. */
export const MAX_BATCH_BYTES = 100_000;

/** Overhead we add per migration (ledger and metadata rows), counted so a chunk never outgrows its budget. */
const PER_MIGRATION_OVERHEAD = 400;

export function migrationBytes(m: Pick<Migration, 'statements'>): number {
  return m.statements.reduce((n, s) => n + s.bytes, 0) + PER_MIGRATION_OVERHEAD;
}

/** The same budget for undoing it: its rollback file's statements and the removal of its rows. */
export function rollbackBytes(m: Migration): number {
  return (m.rollback?.statements ?? []).reduce((n, s) => n + s.bytes, 0) + PER_MIGRATION_OVERHEAD;
}

/**
 * Packs pending migrations (or seeds), in order, into as few requests as fit `maxBytes`.
 * A migration larger than the budget travels alone (its statements are each
 * under 100 KB: lint guarantees that).
 */
export function chunkMigrations<T extends Pick<Migration, 'statements'>>(pending: readonly T[], maxBytes = MAX_BATCH_BYTES, bytesOf: (m: T) => number = migrationBytes): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const m of pending) {
    const bytes = bytesOf(m);
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
