/**
 * Which D1 endpoint a chunk of migrations travels through. Pure: the same
 * answer for `plan`, `status` and the run.
 *
 * `/query` is what promote has always used: each statement one item of a
 * `batch`, one transaction. In the field, `/query` cuts a statement's text at
 * every semicolon that ends a line before executing it, so a multi-line
 * `CREATE TRIGGER ... BEGIN ...; END` fails remotely with 7500 "incomplete
 * input" while it applies locally (workers-sdk #14991, #15178). D1's import
 * endpoint (what `wrangler d1 execute --file --remote` uses) parses the file
 * properly and runs it as one unit, and has no 30 s request limit, at the price
 * of four or more requests instead of one.
 */
import { chunkMigrations } from './plan.js';
import { keywordOf, tokenize } from './sql-tokens.js';
import type { Migration, Statement } from './types.js';

export const TRANSPORTS = ['auto', 'query', 'import'] as const;
export type TransportSetting = (typeof TRANSPORTS)[number];
export type Transport = 'query' | 'import';

export interface TransportChoice {
  transport: Transport;
  /** Why, in words for `plan`/`status` ("holds a trigger (0003_touch.sql:4)"). */
  reason: string;
}

/** A chunk whose SQL takes longer than this on the scratch copy goes through import (D1 stops a request at 30 s). */
export const SLOW_CHUNK_MS = 10_000;

/** A semicolon followed only by blanks up to the end of a line, as the field's split sees it. */
const LINE_ENDING_SEMICOLON = /;[ \t]*(\r?\n|$)/;

/** What in this statement `/query` would mangle, if anything. */
export function queryHazard(statement: Statement): string | undefined {
  const words = tokenize(statement.sql)
    .slice(0, 4)
    .map((t) => keywordOf(t));
  if (words[0] === 'CREATE' && (words[1] === 'TRIGGER' || (words[1] !== undefined && ['TEMP', 'TEMPORARY'].includes(words[1]) && words[2] === 'TRIGGER'))) {
    return 'holds a trigger';
  }
  // Inside a string or comment: `/query` would cut the statement there as well.
  if (LINE_ENDING_SEMICOLON.test(statement.sql)) return 'holds a semicolon at the end of a line inside a statement';
  return undefined;
}

/**
 * `import` and `query` are what the user asked for. `auto`: import when a
 * statement holds what `/query` mangles, or when the chunk was slow on the
 * scratch copy (`measuredMs`, when preflight timed it); else query.
 */
export function chooseTransport(chunk: readonly Migration[], setting: TransportSetting, measuredMs?: number): TransportChoice {
  if (setting === 'query') return { transport: 'query', reason: 'transport: query' };
  if (setting === 'import') return { transport: 'import', reason: 'transport: import' };
  for (const m of chunk) {
    for (const s of m.statements) {
      const hazard = queryHazard(s);
      if (hazard) return { transport: 'import', reason: `${hazard} (${m.name}:${s.line}); /query splits it` };
    }
  }
  if (measuredMs !== undefined && measuredMs > SLOW_CHUNK_MS) {
    return { transport: 'import', reason: `took ${(measuredMs / 1000).toFixed(1)} s on the scratch copy; D1 stops a /query request at 30 s` };
  }
  return { transport: 'query', reason: 'plain statements' };
}

/**
 * One choice per chunk. `setting` undefined: a target without an import
 * endpoint (local), everything goes as a batch. `measuredMs[i]`: chunk i's
 * time on the scratch copy, when preflight ran it.
 */
export function chunkTransports(chunks: readonly (readonly Migration[])[], setting: TransportSetting | undefined, measuredMs: readonly (number | undefined)[] = []): TransportChoice[] {
  return chunks.map((chunk, i) => (setting === undefined ? { transport: 'query', reason: 'local target' } : chooseTransport(chunk, setting, measuredMs[i])));
}

export interface PendingChunk {
  migrations: string[];
  transport: Transport;
  reason: string;
}

/** What `plan` and `status` show: each pending chunk and the endpoint it will take (cloudflare only). */
export function pendingChunks(pending: readonly Migration[], setting: TransportSetting | undefined): PendingChunk[] | undefined {
  if (setting === undefined) return undefined;
  const chunks = chunkMigrations(pending);
  return chunkTransports(chunks, setting).map((c, i) => ({ migrations: chunks[i]!.map((m) => m.name), ...c }));
}

/** "via import (holds a trigger (0003_x.sql:4); /query splits it): 0003_x.sql" */
export function describeChunk(c: PendingChunk): string {
  return `via ${c.transport} (${c.reason}): ${c.migrations.join(', ')}`;
}
