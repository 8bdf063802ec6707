/**
 * D1's import flow, as `wrangler d1 execute --file --remote` drives it:
 * init (md5 etag) -> PUT the file to the upload URL -> ingest -> poll until
 * `complete` or `error`. The whole file runs as one unit: on `error` the
 * database returns to its state before the import, so a failed import leaves
 * nothing. Only ingest is unsafe to repeat; init, the upload and polls are.
 */
import { createHash } from 'node:crypto';
import { D1QueryError, RunError } from '../../errors.js';
import { CloudflareApiError, UnknownOutcomeError, type CloudflareApi } from './cloudflare-api.js';

interface ImportAnswer {
  success?: boolean;
  status?: 'active' | 'complete' | 'error';
  at_bookmark?: string;
  filename?: string;
  upload_url?: string;
  error?: string;
  errors?: (string | { message?: string })[];
  messages?: string[];
  result?: { num_queries?: number; final_bookmark?: string; meta?: Record<string, number> };
}

export interface ImportResult {
  numQueries: number;
  finalBookmark: string | undefined;
  /** Requests this import took (init, upload, ingest, polls). */
  requests: number;
}

export interface ImportOptions {
  signal?: AbortSignal;
  /** Gives up polling after this long (the import may still finish: the ledger tells). */
  maxWaitMs?: number;
  /** Pause between polls; D1 holds a poll open a while itself, so this stays short. */
  pollIntervalMs?: number;
}

export async function importSql(api: CloudflareApi, databasePath: string, label: string, sql: string, options: ImportOptions = {}): Promise<ImportResult> {
  const path = `${databasePath}/import`;
  const etag = createHash('md5').update(sql, 'utf8').digest('hex');
  const signal = options.signal ? { signal: options.signal } : {};
  let requests = 0;
  const post = (body: unknown, safe: boolean): Promise<ImportAnswer> => {
    requests += 1;
    return api.call<ImportAnswer>('POST', path, { body, safe, ...signal });
  };

  const init = await post({ action: 'init', etag }, true);
  // No upload_url: D1 already holds a file with this etag and is processing it.
  let answer = init;
  if (init.upload_url) {
    if (!init.filename) throw new RunError(`D1 import of ${label}: init answered an upload URL without a filename`, 'run again');
    requests += 1;
    const uploaded = await api.upload(init.upload_url, sql, options.signal);
    if (uploaded.replace(/^"|"$/g, '') !== etag) {
      throw new RunError(`D1 import of ${label}: the uploaded file's ETag (${uploaded || 'none'}) is not its md5 ${etag}`, 'run again; nothing was applied');
    }
    answer = await post({ action: 'ingest', filename: init.filename, etag }, false);
  }
  const deadline = Date.now() + (options.maxWaitMs ?? 15 * 60_000);
  for (;;) {
    if (answer.success === false || answer.status === 'error') {
      const errors = (answer.errors ?? []).map((e) => (typeof e === 'string' ? e : (e.message ?? JSON.stringify(e))));
      const message = [answer.error, ...errors].filter(Boolean).join('; ') || 'the import failed';
      // The database is back in its state before the import: nothing of it committed.
      throw new D1QueryError(message, undefined, 7500);
    }
    if (answer.status === 'complete') {
      return { numQueries: answer.result?.num_queries ?? 0, finalBookmark: answer.result?.final_bookmark, requests };
    }
    if (Date.now() > deadline) {
      throw new RunError(`D1 import of ${label} was still running after ${Math.round((options.maxWaitMs ?? 900_000) / 1000)} s`, 'run `promote status`: the ledger shows whether it finished; run again to resume');
    }
    if (options.pollIntervalMs) await new Promise((r) => setTimeout(r, options.pollIntervalMs));
    try {
      answer = await post({ action: 'poll', current_bookmark: answer.at_bookmark }, true);
    } catch (e) {
      // The file was ingested: whether it committed is unknown now; the caller reads the ledger.
      if (options.signal?.aborted || e instanceof CloudflareApiError) throw e;
      throw new UnknownOutcomeError('POST', path, e);
    }
  }
}
