/**
 * The I/O half of the schema drift check (the pure half is
 * src/schema/schema-drift.ts): the expected schema is the replay of the
 * database's applied migrations, in ledger order, on a scratch database; the
 * live schema is read in one batch. The replay's fingerprint is cached in
 * `.promote/cache/expected-schema/<digest>.json`, keyed by a digest of what was
 * replayed (names and checksums, in order), so a database whose ledger did not
 * change is never replayed twice, and environments with the same ledger share
 * one replay.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFileIfExists, writeJsonAtomic } from '../atomic-write.js';
import type { D1Connection, ScratchDatabase } from '../d1/connection.js';
import { D1QueryError } from '../errors.js';
import { chunkMigrations } from '../migrations/plan.js';
import type { Migration } from '../migrations/types.js';
import { fingerprintSchema, type SchemaFingerprint } from '../schema/fingerprint.js';
import { compareSchemas, withoutIgnored, type SchemaCheck } from '../schema/schema-drift.js';
import { migrationBody } from './apply.js';
import type { DatabaseState } from './ledger.js';
import { bookkeepingTables, readSchemaRows, SCHEMA_READ, schemaRowsFrom } from './schema-read.js';

/** Bumped when the fingerprint's shape changes: older cache files are then never read. */
const CACHE_FORMAT = 1;

export interface SchemaCheckInput {
  conn: D1Connection;
  scratch: () => Promise<ScratchDatabase>;
  ledgerTable: string;
  /** The folder's migration files. */
  migrations: readonly Migration[];
  /** Applied migrations whose file was removed on purpose (.retired). */
  retired: ReadonlySet<string>;
  state: Pick<DatabaseState, 'ledger' | 'foreign'>;
  /** migrations.schemaIgnore. */
  ignore: readonly string[];
  /** The project root: the cache lives in its .promote/cache/. */
  root: string;
  signal?: AbortSignal;
}

/** Which files the ledger says were applied, in its order; or why that cannot be said. */
export function appliedFiles(migrations: readonly Migration[], state: Pick<DatabaseState, 'ledger'>, retired: ReadonlySet<string>): { ok: true; files: Migration[] } | { ok: false; reason: string } {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const files: Migration[] = [];
  for (const row of state.ledger) {
    const m = byName.get(row.name);
    if (m) {
      files.push(m);
      continue;
    }
    return {
      ok: false,
      reason: retired.has(row.name)
        ? `${row.name} is retired (its file was removed on purpose), so the migrations cannot be replayed`
        : `the ledger lists ${row.name}, which no migration file matches, so the migrations cannot be replayed`,
    };
  }
  return { ok: true, files };
}

/** The cache key: what was replayed (names and checksums, in order) and what the fingerprint leaves out. */
export function replayKey(files: readonly Migration[], exclude: readonly string[]): string {
  const content = JSON.stringify({ format: CACHE_FORMAT, exclude: [...exclude].map((e) => e.toLowerCase()).sort(), files: files.map((m) => [m.name, m.checksum]) });
  return createHash('sha256').update(content).digest('hex');
}

export function cacheFile(root: string, key: string): string {
  return join(root, '.promote', 'cache', 'expected-schema', `${key}.json`);
}

type Replayed = { ok: true; fingerprint: SchemaFingerprint } | { ok: false; reason: string };

interface CacheEntry {
  format: number;
  key: string;
  migrations: number;
  replay: Replayed;
}

/** Replays in progress in this process, so stages observed side by side with the same ledger replay once. */
const inFlight = new Map<string, Promise<Replayed>>();

/** What a check cost, for the benchmark and tests: whether the replay came from the cache. */
export interface SchemaCheckResult {
  check: SchemaCheck;
  /** 'replayed' on a cache miss, 'cached' on a hit, 'none' when nothing had to be replayed. */
  replay: 'replayed' | 'cached' | 'none';
  /** The live schema as read (bookkeeping tables left out): a fleet groups its tenants by it. */
  live: SchemaFingerprint;
}

export async function checkSchema(input: SchemaCheckInput): Promise<SchemaCheckResult> {
  const exclude = bookkeepingTables([input.ledgerTable, ...input.state.foreign.map((f) => f.table)]);
  const live = fingerprintSchema(await readSchemaRows(input.conn, input.signal), { exclude });
  if (input.state.ledger.length === 0) {
    // Nothing recorded: a fresh database matches the empty replay; one with tables was built without promote.
    if (withoutIgnored(live, input.ignore).objects.length === 0) return { check: { status: 'matches' }, replay: 'none', live };
    return {
      check: { status: 'unknown', reason: `no migration is recorded in ${input.ledgerTable}: the schema was built without promote (promote baseline adopts it)` },
      replay: 'none',
      live,
    };
  }
  const applied = appliedFiles(input.migrations, input.state, input.retired);
  if (!applied.ok) return { check: { status: 'unknown', reason: applied.reason }, replay: 'none', live };
  const key = replayKey(applied.files, exclude);
  const file = cacheFile(input.root, key);
  const cached = await readCache(file, key);
  let replayed: Replayed;
  let how: SchemaCheckResult['replay'] = 'cached';
  if (cached) replayed = cached;
  else {
    how = 'replayed';
    let running = inFlight.get(file);
    if (!running) {
      running = replay(await input.scratch(), applied.files, exclude).then(async (r) => {
        await writeJsonAtomic(file, { format: CACHE_FORMAT, key, migrations: applied.files.length, replay: r } satisfies CacheEntry).catch(() => undefined);
        return r;
      });
      inFlight.set(file, running);
      running.finally(() => inFlight.delete(file)).catch(() => undefined);
    }
    replayed = await running;
  }
  if (!replayed.ok) return { check: { status: 'unknown', reason: replayed.reason }, replay: how, live };
  return { check: compareSchemas(replayed.fingerprint, live, input.ignore), replay: how, live };
}

/** A cache file that is missing, unreadable or of another format is a miss, never an error. */
async function readCache(file: string, key: string): Promise<Replayed | undefined> {
  try {
    const text = await readFileIfExists(file);
    if (text === undefined) return undefined;
    const entry = JSON.parse(text) as CacheEntry;
    return entry.format === CACHE_FORMAT && entry.key === key && entry.replay ? entry.replay : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The applied files on an empty scratch database, in the batches a migrate
 * would send, the schema read riding with the last one. A migration the
 * scratch database rejects makes the expected schema unknown (named).
 */
async function replay(scratch: ScratchDatabase, files: readonly Migration[], exclude: readonly string[]): Promise<Replayed> {
  await scratch.reset([]);
  const chunks = chunkMigrations(files);
  const opts = { exclude };
  try {
    let results;
    for (const [i, chunk] of chunks.entries()) {
      const last = i === chunks.length - 1;
      results = await scratch.batch([...chunk.flatMap(migrationBody), ...(last ? SCHEMA_READ : [])]);
    }
    return { ok: true, fingerprint: fingerprintSchema(schemaRowsFrom(results ?? []), opts) };
  } catch (e) {
    if (!(e instanceof D1QueryError)) throw e;
    // Which one: once more, one migration per batch (the failure path only).
    await scratch.reset([]);
    for (const m of files) {
      try {
        await scratch.batch(migrationBody(m));
      } catch (err) {
        if (!(err instanceof D1QueryError)) throw err;
        return { ok: false, reason: `${m.name} fails when its migrations are replayed on an empty database (${err.message})` };
      }
    }
    return { ok: false, reason: `the migrations fail when replayed on an empty database (${e.message})` };
  }
}
