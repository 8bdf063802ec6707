/**
 * What a database says about itself: its ledger rows, promote's metadata rows
 * and its schema objects. Plain data read by src/ledger/ and planned here
 * (plan.ts), so the pure planner never depends on the code that reads it.
 */
export interface LedgerRow {
  id: number;
  name: string;
  applied_at: string;
}

export interface MetaRow {
  name: string;
  checksum: string;
  run_id: string;
  applied_at: string;
  duration_ms: number | null;
  /** How promote came to know it: 0 applied by promote, 1 adopted from wrangler's ledger, 2 proven by `promote baseline` (ledger.ts ADOPTED). */
  adopted: number;
}

export interface SchemaObject {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  tbl_name: string;
  sql: string;
}

/** A row of promote_seeds (ledger/seeds.ts): wrangler's ledger shape plus the file's checksum and the run. */
export interface SeedRow {
  id: number;
  name: string;
  applied_at: string;
  checksum: string | null;
  run_id: string | null;
}
