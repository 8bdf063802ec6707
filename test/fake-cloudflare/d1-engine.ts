/**
 * The fake's databases: real D1 (Miniflare's D1 Durable Object on workerd's SQLite), one binding
 * per database in one Miniflare instance, reached through an internal worker that forwards to
 * the binding's own /query endpoint, which is what D1's REST API fronts: one request runs as one
 * transactionSync, so a failing statement rolls back the whole request and the error text is D1's.
 * Bindings are made lazily and in bulk, so the fake holds thousands of databases (a tenant fleet):
 * each is one Durable Object, created by workerd when it is first queried.
 *
 * Time Travel is modelled by a full dump after every request that changed the database (and at
 * every bookmark request); a restore replaces the whole content from a dump in one transaction.
 */
import { createHash, randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { Pool, request } from 'undici';

export interface D1Query {
  sql: string;
  params?: unknown[];
}

/** One statement's result as the D1 Durable Object returns it. */
export interface D1RawResult {
  success: true;
  results: { columns: string[]; rows: unknown[][] };
  meta: { duration: number; changes: number; last_row_id: number; changed_db: boolean; size_after: number; rows_read: number; rows_written: number };
}

export type D1Outcome = { ok: true; results: D1RawResult[] } | { ok: false; error: string };

export interface Snapshot {
  bookmark: string;
  /** Epoch ms. */
  at: number;
  /** The database as SQL (Miniflare's D1 dump: schema, rows, sqlite_sequence). */
  dump: string[];
}

export interface FakeDatabase {
  uuid: string;
  name: string;
  binding: string;
  createdAt: number;
  /** Oldest first; the last one is the current state. */
  snapshots: Snapshot[];
  /** Epoch ms of each Time Travel restore (for the 10 per 10 minutes limit). */
  restores: number[];
}

/** Without it workerd gzips every answer and Node gunzips it again. */
const IDENTITY = { 'accept-encoding': 'identity' };

const D1_EXPORT_PRAGMA = 'PRAGMA miniflare_d1_export(?,?,?);';

const ROUTER_WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const binding = env[url.pathname.slice(1)];
    if (!binding) return Response.json({ success: false, error: 'no such database binding' }, { status: 404 });
    return binding.fetcher.fetch('http://d1/query' + url.search, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: await request.text(),
    });
  },
};`;

let bookmarkSequence = 0;

function bookmarkFor(at: number, dump: readonly string[]): string {
  const ms = at.toString(16).padStart(16, '0');
  const seq = (bookmarkSequence++ >>> 0).toString(16).padStart(8, '0');
  const digest = createHash('md5').update(dump.join('\n')).update(seq).digest('hex');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-${seq}-${digest}`;
}

/** SELECT, or a PRAGMA that only reads (no `=`): cannot change schema or rows. */
function isPlainRead(sql: string): boolean {
  const text = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  return /^SELECT\b/i.test(text) || (/^PRAGMA\b/i.test(text) && !text.includes('='));
}

function defaultD1Dir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

const quoteId = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * What Miniflare's D1 dump gives for a database nothing was written to: the first snapshot of a
 * new database, taken without starting it (d1.test.ts checks it against a real fresh dump).
 */
export const EMPTY_DUMP: readonly string[] = ['PRAGMA defer_foreign_keys=TRUE;'];

export class D1Engine {
  private readonly databases = new Map<string, FakeDatabase>();
  private readonly byName = new Map<string, FakeDatabase>();
  /** Uuids Miniflare has a binding for; the others are bound, all at once, when one is first used. */
  private readonly bound = new Set<string>();
  /** One queue per database: requests to one D1 primary run one at a time, different databases side by side. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Work running in workerd now (a rebind waits for it: setOptions restarts workerd). */
  private readonly active = new Set<Promise<unknown>>();
  private rebinding: Promise<void> | undefined;
  /** Keep-alive connections to workerd's entry (its URL changes when Miniflare restarts workerd). */
  private entry: { url: URL; pool: Pool } | undefined;
  /** Times Miniflare was given a new set of bindings (the fleet tests check it stays small). */
  rebinds = 0;
  /**
   * 'every-write' (default): a snapshot after every request that changed a database, so any past
   * timestamp resolves. 'on-demand': only when a bookmark is asked for, before a restore and for an
   * export: half the fake's work per write at fleet scale; a timestamp lookup is then refused.
   */
  snapshots: 'every-write' | 'on-demand' = 'every-write';

  private constructor(
    private readonly mf: Miniflare,
    private readonly persistDir: string,
    private readonly now: () => number,
  ) {}

  /**
   * `dir`: where the D1 files go (default: /dev/shm when there is one, as creating a thousand
   * Durable Object databases on a disk with fsync is what makes a fleet slow; else the temp dir).
   */
  static async start(now: () => number, dir: string = defaultD1Dir()): Promise<D1Engine> {
    const persistDir = await mkdtemp(join(dir, 'fake-cloudflare-d1-'));
    const mf = new Miniflare(D1Engine.options(persistDir, {}));
    await mf.ready;
    return new D1Engine(mf, persistDir, now);
  }

  private static options(persistDir: string, d1Databases: Record<string, string>) {
    return { modules: true, script: ROUTER_WORKER, compatibilityDate: '2025-01-01', d1Databases, d1Persist: persistDir };
  }

  /**
   * Runs `fn` alone on `db`, once Miniflare has a binding for it. Binding is lazy and batched: a
   * thousand databases added in a row cost one setOptions (about 3 s for 1,000), not a thousand.
   */
  exclusive<T>(db: FakeDatabase, fn: () => Promise<T>): Promise<T> {
    const step = async (): Promise<T> => {
      for (;;) {
        if (this.rebinding) await this.rebinding;
        else if (!this.bound.has(db.uuid)) this.rebinding = this.bindAll();
        else break;
      }
      // Checked and registered in the same tick, so a rebind that starts later waits for this work.
      const work = fn();
      this.active.add(work);
      try {
        return await work;
      } finally {
        this.active.delete(work);
      }
    };
    const run = (this.chains.get(db.uuid) ?? Promise.resolve()).then(step, step);
    this.chains.set(db.uuid, run.catch(() => undefined));
    return run;
  }

  private async bindAll(): Promise<void> {
    try {
      await Promise.allSettled([...this.active]);
      const all = this.list();
      await this.mf.setOptions(D1Engine.options(this.persistDir, Object.fromEntries(all.map((d) => [d.binding, d.uuid]))));
      // workerd restarted (maybe on the same port): the old pool's sockets are dead.
      await this.connect(true);
      this.rebinds += 1;
      for (const d of all) this.bound.add(d.uuid);
    } finally {
      this.rebinding = undefined;
    }
  }

  list(): FakeDatabase[] {
    return [...this.databases.values()];
  }

  get(uuid: string): FakeDatabase | undefined {
    return this.databases.get(uuid);
  }

  byNameOrId(idOrName: string): FakeDatabase | undefined {
    return this.databases.get(idOrName) ?? this.byName.get(idOrName);
  }

  /** Registers the database; Miniflare gets its binding when it is first used (see exclusive). */
  addDatabase(name: string, uuid: string = randomUUID()): FakeDatabase {
    if (this.byName.has(name)) throw new Error(`fake-cloudflare: a database named ${name} exists`);
    if (this.databases.has(uuid)) throw new Error(`fake-cloudflare: a database with uuid ${uuid} exists`);
    const createdAt = this.now();
    const db: FakeDatabase = { uuid, name, binding: `DB_${this.databases.size}`, createdAt, snapshots: [], restores: [] };
    db.snapshots.push({ bookmark: bookmarkFor(createdAt, EMPTY_DUMP), at: createdAt, dump: [...EMPTY_DUMP] });
    this.databases.set(uuid, db);
    this.byName.set(name, db);
    return db;
  }

  /** One transaction; on success, snapshots the new state if it changed. */
  execute(db: FakeDatabase, queries: D1Query[]): Promise<D1Outcome> {
    return this.exclusive(db, async () => {
      const outcome = await this.send(db, queries);
      // A request of plain reads leaves the state (and so the newest snapshot) as it was: no dump.
      if (!outcome.ok || this.snapshots === 'on-demand') return outcome;
      const plainRead = queries.every((q) => isPlainRead(q.sql)) && outcome.results.every((r) => !r.meta.changed_db);
      if (!plainRead) await this.recordSnapshot(db);
      return outcome;
    });
  }

  /** The current state's snapshot (taking one if the database changed behind the fake's back). */
  currentSnapshot(db: FakeDatabase): Promise<Snapshot> {
    return this.exclusive(db, () => this.recordSnapshot(db));
  }

  dump(db: FakeDatabase, options: { noSchema?: boolean; noData?: boolean; tables?: string[] } = {}): Promise<string[]> {
    return this.exclusive(db, () => this.readDump(db, options));
  }

  /** Replaces the whole database with `target`'s content in one transaction. */
  restore(db: FakeDatabase, target: Snapshot): Promise<{ previous: Snapshot; current: Snapshot }> {
    return this.exclusive(db, async () => {
      const previous = await this.recordSnapshot(db);
      const objects = await this.send(db, [
        { sql: "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite^_%' ESCAPE '^' AND name NOT LIKE '^_cf^_%' ESCAPE '^'" },
      ]);
      if (!objects.ok) throw new Error(`restore: cannot list schema: ${objects.error}`);
      const rows = objects.results[0]!.results.rows as [string, string][];
      const drop = (type: string) => rows.filter(([t]) => t === type).map(([, name]) => ({ sql: `DROP ${type.toUpperCase()} IF EXISTS ${quoteId(name)}` }));
      const statements: D1Query[] = [
        { sql: 'PRAGMA defer_foreign_keys=TRUE' },
        ...drop('view'),
        ...drop('trigger'),
        ...drop('table'),
        ...target.dump.map((sql) => ({ sql })),
      ];
      const outcome = await this.send(db, statements);
      if (!outcome.ok) throw new Error(`restore: ${outcome.error}`);
      db.restores.push(this.now());
      const current = await this.recordSnapshot(db, true);
      return { previous, current };
    });
  }

  async stats(db: FakeDatabase): Promise<{ fileSize: number; numTables: number }> {
    const outcome = await this.exclusive(db, () =>
      this.send(db, [
        { sql: "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite^_%' ESCAPE '^' AND name NOT LIKE '^_cf^_%' ESCAPE '^'" },
      ]),
    );
    if (!outcome.ok) throw new Error(outcome.error);
    const first = outcome.results[0]!;
    return { fileSize: first.meta.size_after, numTables: Number(first.results.rows[0]?.[0] ?? 0) };
  }

  async dispose(): Promise<void> {
    await this.entry?.pool.close().catch(() => undefined);
    await this.mf.dispose().catch(() => undefined);
    await rm(this.persistDir, { recursive: true, force: true });
  }

  /**
   * Straight to workerd's entry with undici's request() on a keep-alive pool, not Miniflare's
   * dispatchFetch (a web fetch per call: about 5x the CPU, and a new socket each time), so the fake
   * keeps up with a fleet of thousands of requests.
   */
  private async post(db: FakeDatabase, query: string, statements: unknown[]): Promise<unknown> {
    const entry = this.entry ?? (await this.connect());
    const response = await request(new URL(`/${db.binding}${query}`, entry.url), {
      method: 'POST',
      dispatcher: entry.pool,
      headers: { 'content-type': 'application/json', ...IDENTITY },
      body: JSON.stringify(statements),
    });
    return response.body.json();
  }

  private async connect(fresh = false): Promise<{ url: URL; pool: Pool }> {
    const url = await this.mf.ready;
    if (!fresh && this.entry?.url.origin === url.origin) return this.entry;
    const old = this.entry;
    this.entry = { url, pool: new Pool(url.origin, { connections: 32 }) };
    void old?.pool.close().catch(() => undefined);
    return this.entry;
  }

  private async send(db: FakeDatabase, queries: D1Query[]): Promise<D1Outcome> {
    const body = (await this.post(db, '?resultsFormat=ROWS_AND_COLUMNS', queries.map((q) => ({ sql: q.sql, params: q.params ?? [] })))) as D1RawResult[] | { success: false; error: string };
    return Array.isArray(body) ? { ok: true, results: body } : { ok: false, error: body.error };
  }

  private async readDump(db: FakeDatabase, options: { noSchema?: boolean; noData?: boolean; tables?: string[] }): Promise<string[]> {
    const params = [options.noSchema ? 1 : 0, options.noData ? 1 : 0, ...(options.tables ?? [])];
    const body = (await this.post(db, '', [{ sql: D1_EXPORT_PRAGMA, params }])) as { success: boolean; results?: string[][]; error?: string };
    if (!body.success || !body.results) throw new Error(`dump failed: ${body.error ?? 'no results'}`);
    return body.results[0] ?? [];
  }

  private async recordSnapshot(db: FakeDatabase, force = false): Promise<Snapshot> {
    const dump = await this.readDump(db, {});
    const last = db.snapshots.at(-1);
    if (!force && last && last.dump.join('\n') === dump.join('\n')) return last;
    const at = Math.max(this.now(), last?.at ?? 0);
    const snapshot = { bookmark: bookmarkFor(at, dump), at, dump };
    db.snapshots.push(snapshot);
    return snapshot;
  }
}
