/** Real D1 (Miniflare's, on workerd's SQLite) behind the D1Connection seam, for tests of code written against it. */
import { Miniflare } from 'miniflare';
import { D1QueryError } from '../../src/errors.js';
import type { D1Connection } from '../../src/d1/connection.js';

export interface D1Pool {
  /** A fresh, empty database each call. */
  next(): Promise<D1Connection>;
  dispose(): Promise<void>;
}

export async function startD1Pool(size = 40): Promise<D1Pool> {
  const names = Array.from({ length: size }, (_, i) => `D${i}`);
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response("ok"); } };',
    compatibilityDate: '2025-01-01',
    d1Databases: Object.fromEntries(names.map((n) => [n, `db-${n}`])),
  });
  await mf.ready;
  let used = 0;
  return {
    async next() {
      const name = names[used++];
      if (!name) throw new Error(`D1 pool of ${size} exhausted`);
      const db = await mf.getD1Database(name);
      return {
        label: name,
        async batch(statements) {
          if (statements.length === 0) return [];
          try {
            const results = await db.batch(statements.map((s) => db.prepare(s.sql).bind(...(s.params ?? []))));
            return results.map((r: { results?: unknown[]; meta: { duration: number; changes: number } }) => ({ results: (r.results ?? []) as Record<string, unknown>[], meta: { duration: r.meta.duration, changes: r.meta.changes } }));
          } catch (e) {
            throw new D1QueryError(String((e as Error).message).replace(/^D1_ERROR: /, ''));
          }
        },
      };
    },
    dispose: () => mf.dispose(),
  };
}
