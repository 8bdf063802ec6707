/**
 * D1's import flow, as wrangler 4.86 drives it (`wrangler d1 execute --file --remote`):
 * `POST .../import {action:"init", etag}` -> `{filename, upload_url}`; `PUT upload_url` with the SQL
 * (no auth: it stands for a signed R2 URL, served at /__fake/d1-imports/:id on the same loopback
 * server) answering `ETag: "<md5>"`; `{action:"ingest", filename, etag}`; then
 * `{action:"poll", current_bookmark}` until `complete` or `error`.
 *
 * The file is parsed properly (trigger bodies, CRLF) and runs as ONE transaction when ingested; the
 * answers stay `active` for `activePolls` polls first. `failNext` imports end in `error` with the
 * database left in its original state, as D1 promises ("your DB will return to its original state").
 */
import { createHash, randomUUID } from 'node:crypto';
import { splitStatements } from '../../src/migrations/split-statements.js';
import type { D1Engine, FakeDatabase } from './d1-engine.js';
import { ApiError } from './envelope.js';
import { jsonBody, route, type Route } from './router.js';

export interface ImportSettings {
  /** `active` answers (the ingest answer counts) before the import reports `complete` or `error`. Default 1. */
  activePolls: number;
  /** The next n ingests end in `error` without touching the database. */
  failNext: number;
}

interface Upload {
  id: string;
  database: string;
  filename: string;
  etag: string;
  sql?: string;
}

interface RunningImport {
  at: string;
  pollsLeft: number;
  outcome: { ok: true; numQueries: number; bookmark: string; rowsWritten: number; sizeAfter: number; durationMs: number } | { ok: false; error: string };
}

export interface ImportState {
  engine: D1Engine;
  settings: ImportSettings;
  uploads: Map<string, Upload>;
  running: Map<string, RunningImport>;
}

export function createImportState(engine: D1Engine, activePolls = 1): ImportState {
  return { engine, settings: { activePolls, failNext: 0 }, uploads: new Map(), running: new Map() };
}

const md5 = (text: Buffer | string): string => createHash('md5').update(text).digest('hex');

/** Serves `PUT /__fake/d1-imports/:id` (no auth); undefined when the path is not an upload URL. */
export function handleImportUpload(state: ImportState, method: string, pathname: string, body: Buffer): { status: number; headers: Record<string, string>; text: string } | undefined {
  const m = /^\/__fake\/d1-imports\/([^/]+)$/.exec(pathname);
  if (!m) return undefined;
  const upload = state.uploads.get(m[1]!);
  if (!upload) return { status: 404, headers: {}, text: 'NoSuchUpload' };
  if (method !== 'PUT') return { status: 405, headers: {}, text: 'MethodNotAllowed' };
  upload.sql = body.toString('utf8');
  return { status: 200, headers: { etag: `"${md5(body)}"` }, text: '' };
}

function answer(db: FakeDatabase, run: RunningImport) {
  const base = { success: true, type: 'import', at_bookmark: run.at, messages: [] as string[] };
  if (run.pollsLeft > 0) {
    run.pollsLeft -= 1;
    return { ...base, status: 'active', messages: ['Import in progress'] };
  }
  if (!run.outcome.ok) return { ...base, status: 'error', error: run.outcome.error, errors: [run.outcome.error] };
  return {
    ...base,
    status: 'complete',
    messages: [`Imported into ${db.name}`],
    result: {
      success: true,
      num_queries: run.outcome.numQueries,
      final_bookmark: run.outcome.bookmark,
      meta: { duration: run.outcome.durationMs, rows_read: 0, rows_written: run.outcome.rowsWritten, size_after: run.outcome.sizeAfter, changed_db: true },
    },
  };
}

export function d1ImportRoutes(state: ImportState, findDatabase: (id: string) => FakeDatabase): Route[] {
  return [
    route('POST', '/accounts/:account/d1/database/:uuid/import', async (ctx) => {
      const db = findDatabase(ctx.params.uuid!);
      const body = jsonBody<{ action?: string; etag?: string; filename?: string; current_bookmark?: string }>(ctx);
      if (body.action === 'init') {
        if (typeof body.etag !== 'string' || !/^[0-9a-f]{32}$/.test(body.etag)) throw new ApiError(400, 7400, 'init needs the md5 etag of the file');
        const id = randomUUID();
        const filename = `${body.etag}.sql`;
        state.uploads.set(id, { id, database: db.uuid, filename, etag: body.etag });
        return { result: { success: true, filename, upload_url: `${ctx.origin}/__fake/d1-imports/${id}` } };
      }
      if (body.action === 'ingest') {
        const upload = [...state.uploads.values()].find((u) => u.database === db.uuid && u.filename === body.filename && u.etag === body.etag);
        if (!upload?.sql) throw new ApiError(400, 7400, `No uploaded file ${body.filename} for this database`);
        if (md5(upload.sql) !== upload.etag) throw new ApiError(400, 7400, 'The uploaded file does not match its etag');
        state.uploads.delete(upload.id);
        const at = (await state.engine.currentSnapshot(db)).bookmark;
        const run: RunningImport = { at, pollsLeft: Math.max(0, state.settings.activePolls), outcome: { ok: false, error: 'not run' } };
        if (state.settings.failNext > 0) {
          state.settings.failNext -= 1;
          run.outcome = { ok: false, error: 'D1 import failed: the database was restored to its state before the import' };
        } else {
          const statements = splitStatements(upload.sql);
          const started = Date.now();
          const outcome = await state.engine.execute(db, statements.map((s) => ({ sql: s.sql })));
          if (!outcome.ok) run.outcome = { ok: false, error: outcome.error };
          else {
            const after = await state.engine.currentSnapshot(db);
            run.outcome = {
              ok: true,
              numQueries: statements.length,
              bookmark: after.bookmark,
              rowsWritten: outcome.results.reduce((n, r) => n + r.meta.rows_written, 0),
              sizeAfter: outcome.results.at(-1)?.meta.size_after ?? 0,
              durationMs: Date.now() - started,
            };
          }
        }
        state.running.set(`${db.uuid}/${at}`, run);
        return { result: answer(db, run) };
      }
      if (body.action === 'poll') {
        const run = state.running.get(`${db.uuid}/${body.current_bookmark}`);
        if (!run) throw new ApiError(400, 7400, `No import running at bookmark ${body.current_bookmark}`);
        return { result: answer(db, run) };
      }
      throw new ApiError(400, 7400, `Unknown import action ${String(body.action)}`);
    }),
  ];
}
