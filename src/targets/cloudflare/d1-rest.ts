/**
 * D1 over the REST API, behind the same D1Connection seam as the local
 * target: one request per batch, one transaction per request. Reads are
 * retried freely; writes are never repeated blindly (see applyChunks).
 */
import { D1QueryError } from '../../errors.js';
import { leadingKeywords } from '../../migrations/sql-tokens.js';
import type { D1Connection, SqlStatement, StatementResult } from '../../d1/connection.js';
import { CloudflareApiError, type CloudflareApi } from './cloudflare-api.js';
import { importSql } from './d1-import.js';
import { importFileOf } from './import-file.js';

const READ_ONLY = new Set(['SELECT', 'PRAGMA', 'EXPLAIN', 'WITH', 'VALUES']);

/** A batch that only reads can be sent again without changing anything. */
export function isReadOnly(statements: readonly SqlStatement[]): boolean {
  return statements.every((s) => {
    const [first] = leadingKeywords(s.sql, 1);
    return first !== undefined && READ_ONLY.has(first) && !/\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b/i.test(s.sql);
  });
}

interface RestResult {
  results?: Record<string, unknown>[];
  success?: boolean;
  meta?: StatementResult['meta'];
}

export class D1RestConnection implements D1Connection {
  constructor(
    private readonly api: CloudflareApi,
    readonly databaseId: string,
    readonly label: string,
  ) {}

  get path(): string {
    return `${this.api.accountPath}/d1/database/${encodeURIComponent(this.databaseId)}`;
  }

  async batch(statements: readonly SqlStatement[], options?: { signal?: AbortSignal; idempotent?: boolean }): Promise<StatementResult[]> {
    if (statements.length === 0) return [];
    try {
      const result = await this.api.call<RestResult[]>('POST', `${this.path}/query`, {
        body: { batch: statements.map((s) => ({ sql: s.sql, params: s.params ?? [] })) },
        safe: options?.idempotent === true || isReadOnly(statements),
        ...(options?.signal ? { signal: options.signal } : {}),
      });
      return (result ?? []).map((r) => ({ results: r.results ?? [], meta: r.meta ?? { duration: 0, changes: 0 } }));
    } catch (e) {
      // SQL errors read the same on both targets: the engine sees D1QueryError.
      if (e instanceof CloudflareApiError && e.status === 400 && e.code === 7500) {
        throw new D1QueryError(e.errors[0]!.message, undefined, 7500);
      }
      throw e;
    }
  }

  async importBatch(statements: readonly SqlStatement[], options?: { signal?: AbortSignal }): Promise<void> {
    if (statements.length === 0) return;
    try {
      await importSql(this.api, this.path, this.label, importFileOf(statements), options?.signal ? { signal: options.signal } : {});
    } catch (e) {
      if (e instanceof CloudflareApiError && e.status === 400 && e.code === 7500) throw new D1QueryError(e.errors[0]!.message, undefined, 7500);
      throw e;
    }
  }
}
