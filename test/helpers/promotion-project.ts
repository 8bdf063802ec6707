/** A small project with a Worker, for end-to-end promotions. */
import { PIPELINE } from './project.js';

export const HEALTHY_WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/health') {
      try {
        const row = await env.DB.prepare('SELECT count(*) AS n FROM d1_migrations').first();
        return Response.json({ ok: true, migrations: row.n, version: env.VERSION ?? 'v1' });
      } catch (e) {
        return Response.json({ ok: false, error: String(e.message) }, { status: 503 });
      }
    }
    return new Response('ok');
  },
};
`;

export function envFile(extraHealth = ''): string {
  return `target: local
databases:
  - binding: DB
worker:
  main: app/worker.js
health:
  - url: /health
    timeout: 2s
    retries: 1
    expect:
      status: 200
      json:
        ok: true
${extraHealth}`;
}

export function migrationFiles(count: number, from = 1): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = from; i < from + count; i++) {
    const id = String(i).padStart(4, '0');
    files[`migrations/${id}_t${i}.sql`] = `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX idx_t${i}_name ON t${i}(name);\nINSERT INTO t${i} (name) VALUES ('row of ${i}');\n`;
  }
  return files;
}

export function promotionFiles(migrations = 6, envExtra: Partial<Record<'dev' | 'staging' | 'production', string>> = {}): Record<string, string> {
  return {
    'pipeline/pipeline.yaml': PIPELINE,
    'environments/dev.yaml': envFile(envExtra.dev),
    'environments/staging.yaml': envFile(envExtra.staging),
    'environments/production.yaml': envFile(envExtra.production),
    'app/worker.js': HEALTHY_WORKER,
    ...migrationFiles(migrations),
  };
}

export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines.at(-1)!);
}
