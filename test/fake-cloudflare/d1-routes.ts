/**
 * D1's REST surface: databases, query/raw, Time Travel and export.
 */
import { randomUUID } from 'node:crypto';
import { splitStatements } from '../../src/migrations/split-statements.js';
import { tokenize } from '../../src/migrations/sql-tokens.js';
import type { D1Engine, D1Query, D1RawResult, FakeDatabase, Snapshot } from './d1-engine.js';
import { ApiError, paginate } from './envelope.js';
import { d1ImportRoutes, type ImportState } from './d1-import-routes.js';
import { jsonBody, route, type Route, type RouteContext } from './router.js';

export const MAX_STATEMENT_BYTES = 100_000;
export const MAX_BOUND_PARAMS = 100;
export const RESTORE_LIMIT = 10;
export const RESTORE_WINDOW_MS = 10 * 60_000;

export interface D1RouteState {
  engine: D1Engine;
  /** Export downloads, served without auth at /__fake/d1-exports/:id (they stand for presigned R2 URLs). */
  exports: Map<string, { filename: string; sql: string }>;
  now: () => number;
  imports: ImportState;
  /**
   * How /query and /raw cut an item's SQL into statements: 'sqlite' as SQLite would (trigger bodies,
   * strings, CRLF understood), or 'line-semicolons' as the field reports D1 doing: at every `;` that
   * ends a line, so a multi-line trigger body arrives cut and fails with "incomplete input".
   */
  querySplit: 'sqlite' | 'line-semicolons';
}

/** The field's split: at each semicolon followed by blanks to the end of a line (or of the text). */
export function splitAtLineSemicolons(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((piece) => piece.trim())
    .filter((piece) => tokenize(piece).length > 0);
}

const d1Error = (message: string): ApiError => new ApiError(400, 7500, message);

function findDatabase(state: D1RouteState, idOrName: string): FakeDatabase {
  const db = state.engine.byNameOrId(idOrName);
  if (!db) throw new ApiError(404, 7404, `The database ${idOrName} could not be found`);
  return db;
}

async function describe(state: D1RouteState, db: FakeDatabase) {
  const { fileSize, numTables } = await state.engine.stats(db);
  return {
    uuid: db.uuid,
    name: db.name,
    version: 'production',
    created_at: new Date(db.createdAt).toISOString(),
    file_size: fileSize,
    num_tables: numTables,
    running_in_region: 'ENAM',
    read_replication: { mode: 'disabled' },
  };
}

/** SQLite's numbering: `?` takes the largest index so far + 1, `?NNN` is NNN, a repeated name reuses its index. */
function parameterCount(sql: string): number {
  let largest = 0;
  const named = new Map<string, number>();
  for (const token of tokenize(sql)) {
    if (token.kind !== 'param') continue;
    if (token.text === '?') largest++;
    else if (/^\?\d+$/.test(token.text)) largest = Math.max(largest, Number(token.text.slice(1)));
    else if (!named.has(token.text)) named.set(token.text, ++largest);
  }
  return largest;
}

/** `{sql, params}` (several statements allowed) or `{batch: [...]}` -> one query per statement. */
function statementsOf(body: Record<string, unknown>, querySplit: D1RouteState['querySplit']): D1Query[] {
  const items: unknown[] = Array.isArray(body.batch) ? body.batch : [body];
  const queries: D1Query[] = [];
  for (const item of items) {
    const { sql, params = [] } = (item ?? {}) as { sql?: unknown; params?: unknown };
    if (typeof sql !== 'string') throw new ApiError(400, 7400, 'A request to D1 must include a "sql" string');
    if (!Array.isArray(params)) throw new ApiError(400, 7400, '"params" must be an array');
    if (params.length > MAX_BOUND_PARAMS) throw d1Error(`too many SQL variables (${params.length} bound, at most ${MAX_BOUND_PARAMS}): SQLITE_ERROR`);
    const split = querySplit === 'sqlite' ? splitStatements(sql) : splitAtLineSemicolons(sql).flatMap((piece) => splitStatements(piece));
    if (split.length === 1) {
      queries.push({ sql: split[0]!.sql, params });
      continue;
    }
    let next = 0;
    for (const statement of split) {
      const count = parameterCount(statement.sql);
      queries.push({ sql: statement.sql, params: params.slice(next, next + count) });
      next += count;
    }
  }
  if (queries.length === 0) throw d1Error('No SQL statements detected.');
  for (const q of queries) {
    if (Buffer.byteLength(q.sql, 'utf8') > MAX_STATEMENT_BYTES) throw d1Error('Statement too long: SQLITE_TOOBIG');
  }
  return queries;
}

function restMeta(meta: D1RawResult['meta']) {
  return {
    served_by_region: 'ENAM',
    served_by_primary: true,
    timings: { sql_duration_ms: meta.duration },
    duration: meta.duration,
    changes: meta.changes,
    last_row_id: meta.last_row_id,
    changed_db: meta.changed_db,
    size_after: meta.size_after,
    rows_read: meta.rows_read,
    rows_written: meta.rows_written,
  };
}

function toObjects({ columns, rows }: { columns: string[]; rows: unknown[][] }): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
}

async function runQuery(state: D1RouteState, ctx: RouteContext, format: 'objects' | 'raw') {
  const db = findDatabase(state, ctx.params.uuid!);
  const queries = statementsOf(jsonBody(ctx), state.querySplit);
  const outcome = await state.engine.execute(db, queries);
  if (!outcome.ok) throw d1Error(outcome.error);
  return {
    result: outcome.results.map((r) => ({
      success: true,
      results: format === 'raw' ? { columns: r.results.columns, rows: r.results.rows } : toObjects(r.results),
      meta: restMeta(r.meta),
    })),
  };
}

function parseTimestamp(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ApiError(400, 7400, `Invalid timestamp: ${value}`);
  return t;
}

function snapshotAt(state: D1RouteState, db: FakeDatabase, t: number): Snapshot {
  if (state.engine.snapshots === 'on-demand') {
    throw new ApiError(400, 7400, "fake-cloudflare keeps snapshots on demand only (option timeTravel: 'on-demand'): start it with timeTravel: 'every-write' to look up timestamps");
  }
  const found = db.snapshots.filter((s) => s.at <= t).at(-1);
  if (!found) throw new ApiError(400, 7400, `No bookmark found at or before ${new Date(t).toISOString()}: the database did not exist yet`);
  return found;
}

/** The list's page size: Cloudflare documents 10 to 10,000 per page; its default is not documented [U]. */
export const LIST_MIN_PER_PAGE = 10;
export const LIST_MAX_PER_PAGE = 10_000;
export const LIST_DEFAULT_PER_PAGE = 1000;

/** `page` >= 1 and `per_page` in 10..10,000 as the API documents them; outside -> 400 7400 [U: the real code/text]. */
function listPaging(query: URLSearchParams): URLSearchParams {
  const page = query.get('page');
  const perPage = query.get('per_page');
  if (page !== null && !(Number.isInteger(Number(page)) && Number(page) >= 1)) throw new ApiError(400, 7400, `page must be an integer >= 1, got ${page}`);
  if (perPage !== null && !(Number.isInteger(Number(perPage)) && Number(perPage) >= LIST_MIN_PER_PAGE && Number(perPage) <= LIST_MAX_PER_PAGE)) {
    throw new ApiError(400, 7400, `per_page must be an integer from ${LIST_MIN_PER_PAGE} to ${LIST_MAX_PER_PAGE}, got ${perPage}`);
  }
  return query;
}

export function d1Routes(state: D1RouteState): Route[] {
  const base = '/accounts/:account/d1/database';
  return [
    route('GET', base, (ctx) => {
      const name = ctx.query.get('name');
      const all = state.engine.list().filter((d) => !name || d.name.includes(name));
      const { items, info } = paginate(all, listPaging(ctx.query), LIST_DEFAULT_PER_PAGE);
      return {
        result: items.map((d) => ({ uuid: d.uuid, name: d.name, version: 'production', created_at: new Date(d.createdAt).toISOString() })),
        // D1's list answers these four (no total_pages).
        resultInfo: { page: info.page, per_page: info.per_page, count: info.count, total_count: info.total_count },
      };
    }),
    route('POST', base, async (ctx) => {
      const { name } = jsonBody<{ name?: unknown }>(ctx);
      if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-_]*$/i.test(name)) throw new ApiError(400, 7400, 'A valid database name is required');
      if (state.engine.list().some((d) => d.name === name)) throw new ApiError(400, 7502, 'A database with that name already exists');
      const db = state.engine.addDatabase(name);
      return { result: await describe(state, db) };
    }),
    route('GET', `${base}/:uuid`, async (ctx) => ({ result: await describe(state, findDatabase(state, ctx.params.uuid!)) })),
    route('POST', `${base}/:uuid/query`, (ctx) => runQuery(state, ctx, 'objects')),
    route('POST', `${base}/:uuid/raw`, (ctx) => runQuery(state, ctx, 'raw')),
    route('GET', `${base}/:uuid/time_travel/bookmark`, async (ctx) => {
      const db = findDatabase(state, ctx.params.uuid!);
      const timestamp = ctx.query.get('timestamp');
      const current = await state.engine.currentSnapshot(db);
      return { result: { bookmark: timestamp ? snapshotAt(state, db, parseTimestamp(timestamp)).bookmark : current.bookmark } };
    }),
    route('POST', `${base}/:uuid/time_travel/restore`, async (ctx) => {
      const db = findDatabase(state, ctx.params.uuid!);
      const bookmark = ctx.query.get('bookmark');
      const timestamp = ctx.query.get('timestamp');
      if (!bookmark && !timestamp) throw new ApiError(400, 7400, 'Either a bookmark or a timestamp query parameter is required');
      const recent = db.restores.filter((t) => t > state.now() - RESTORE_WINDOW_MS);
      if (recent.length >= RESTORE_LIMIT) {
        throw new ApiError(429, 7429, `Too many restore operations: at most ${RESTORE_LIMIT} restores per 10 minutes per database`);
      }
      const target = bookmark ? db.snapshots.find((s) => s.bookmark === bookmark) : snapshotAt(state, db, parseTimestamp(timestamp!));
      if (!target) throw new ApiError(400, 7400, `Invalid bookmark: ${bookmark} is not a bookmark of database ${db.uuid}`);
      const { previous } = await state.engine.restore(db, target);
      return { result: { bookmark: target.bookmark, previous_bookmark: previous.bookmark, message: 'Database restored successfully' } };
    }),
    route('POST', `${base}/:uuid/export`, async (ctx) => {
      const db = findDatabase(state, ctx.params.uuid!);
      const body = jsonBody<{ output_format?: unknown; dump_options?: { no_data?: boolean; no_schema?: boolean; tables?: string[] } }>(ctx);
      if (body.output_format !== 'polling') throw new ApiError(400, 7400, 'output_format must be "polling"');
      const options = body.dump_options ?? {};
      const snapshot = await state.engine.currentSnapshot(db);
      const dump = await state.engine.dump(db, { noData: options.no_data, noSchema: options.no_schema, tables: options.tables ?? [] });
      const id = randomUUID();
      const filename = `${db.name}-${snapshot.bookmark.slice(0, 26)}.sql`;
      state.exports.set(id, { filename, sql: dump.join('\n') + '\n' });
      return {
        result: {
          success: true,
          type: 'export',
          at_bookmark: snapshot.bookmark,
          status: 'complete',
          messages: [`Generated ${filename}`],
          result: { filename, signed_url: `${ctx.origin}/__fake/d1-exports/${id}/${encodeURIComponent(filename)}` },
        },
      };
    }),
    ...d1ImportRoutes(state.imports, (id) => findDatabase(state, id)),
  ];
}
