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
  /** 1 when the migration was applied by another tool (wrangler) and we only recorded its checksum later. */
  adopted: number;
}

export interface SchemaObject {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  tbl_name: string;
  sql: string;
}

export interface DatabaseState {
  ledger: LedgerRow[];
  meta: Map<string, MetaRow>;
  /** User objects, shadow tables of virtual tables and internal tables left out. */
  schema: SchemaObject[];
}

