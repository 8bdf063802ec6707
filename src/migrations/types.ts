/** Shapes shared by discovery, lint, planning and the engines that apply migrations. */

/** One SQL statement as split from a file (see split-statements.ts). */
export interface Statement {
  /** The statement text without its terminating semicolon, leading comments/whitespace trimmed. CRLF kept as in the file. */
  sql: string;
  /** 1-based line of the statement's first token in the file. */
  line: number;
  /** 1-based line of its last token. */
  endLine: number;
  /** UTF-8 byte length of `sql` (D1 rejects statements over 100,000 bytes). */
  bytes: number;
}

export interface SqlFile {
  /** File name, e.g. 0001_init.sql or 0001_init.rollback.sql */
  name: string;
  /** Relative to the project root, forward slashes, e.g. migrations/0001_init.sql */
  path: string;
  /** Decoded UTF-8 text, BOM removed. */
  sql: string;
  /** "sha256:<hex>" of the text with CRLF normalised to LF, so a checkout's line endings are not drift. */
  checksum: string;
  statements: Statement[];
}

export interface Migration extends SqlFile {
  /** The numeric prefix, e.g. 1 for 0001_init.sql */
  number: number;
  /** The prefix as written, e.g. "0001" */
  id: string;
  /** e.g. "init" */
  slug: string;
  /** NNNN_slug.rollback.sql, when present. */
  rollback?: SqlFile;
}

/** A file as read from disk, before any decoding: discovery is pure over these. */
export interface RawFile {
  name: string;
  bytes: Uint8Array;
  /**
   * Subfolder of the migrations directory the file came from, when not its top
   * level: only "rollback" (rollback files wrangler cannot mistake for migrations).
   */
  subdir?: string;
}

/**
 * A seed file: data for one environment (seeds/<env>/) or for all (seeds/all/), applied once after
 * the environment's migrations. `name` is its path under seeds/ (`all/0001_x.sql`, `dev/DB/0001_x.sql`),
 * which is what its ledger records, so files of the same name in two folders never collide.
 */
export interface Seed extends SqlFile {
  number: number;
  id: string;
  slug: string;
  /** `all`, or the environment's name. */
  scope: string;
  /** Set when the seed sits in a folder per database (seeds/<scope>/<BINDING>/). */
  binding?: string;
}
