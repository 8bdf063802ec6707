// Generates the throw-away projects the benchmark runs against.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DATABASE_ID = '00000000-0000-4000-8000-0000000000b1';

export function migrationName(i) {
  return `${String(i).padStart(4, '0')}_t${i}.sql`;
}

export function migrationSql(i) {
  return `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT);\nCREATE INDEX idx_t${i}_name ON t${i}(name);\n`;
}

/** Writes pipeline/, environments/, wrangler.jsonc and `count` migrations into `dir`. */
export function writeProject(dir, count) {
  mkdirSync(join(dir, 'pipeline'), { recursive: true });
  mkdirSync(join(dir, 'environments'), { recursive: true });
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'pipeline', 'pipeline.yaml'), 'name: bench\nstages:\n  - environment: dev\n');
  writeFileSync(join(dir, 'environments', 'dev.yaml'), 'target: local\ndatabases:\n  - binding: DB\n');
  writeFileSync(
    join(dir, 'wrangler.jsonc'),
    JSON.stringify(
      {
        name: 'bench',
        compatibility_date: '2026-04-01',
        d1_databases: [{ binding: 'DB', database_name: 'bench', database_id: DATABASE_ID }],
      },
      null,
      2,
    ) + '\n',
  );
  for (let i = 1; i <= count; i++) writeFileSync(join(dir, 'migrations', migrationName(i)), migrationSql(i));
}

/** Removes every piece of local database state (promote's, wrangler's, the raw script's). */
export function resetState(dir) {
  for (const d of ['.promote', '.wrangler', '.raw']) rmSync(join(dir, d), { recursive: true, force: true });
}

// ---------------------------------------------------------------- a full promotion project

/** A migration of the promotion project: a table, an index on it, and one row. */
export function promotionMigrationSql(i) {
  return (
    `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT);\n` +
    `CREATE INDEX idx_t${i}_name ON t${i}(name);\n` +
    `INSERT INTO t${i} (name, created_at) VALUES ('row ${i}', '2026-01-01T00:00:00Z');\n`
  );
}

/** The migration that breaks production only: production's /data check needs t1's row. */
export const BREAKING_MIGRATION = { name: '0021_t1_purge.sql', sql: 'DELETE FROM t1;\n' };

const PROMOTION_WORKER = `// bench Worker: /health proves the database answers; /data needs t1's row.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/health') {
        const row = await env.DB.prepare('SELECT count(*) AS n FROM d1_migrations').first();
        return Response.json({ ok: true, environment: env.ENVIRONMENT ?? 'dev', migrations: row.n });
      }
      if (url.pathname === '/data') {
        const row = await env.DB.prepare('SELECT count(*) AS n FROM t1').first();
        return Response.json({ rows: row.n }, { status: row.n > 0 ? 200 : 404 });
      }
      return new Response('bench worker: try /health\\n', { status: 404 });
    } catch (error) {
      return Response.json({ ok: false, error: String(error?.message ?? error) }, { status: 503 });
    }
  },
};
`;

function environmentYaml(name, { dataCheck = false } = {}) {
  return [
    'target: local',
    ...(name === 'dev' ? ['state: .wrangler/state/v3'] : []),
    'databases:',
    '  - binding: DB',
    'worker:',
    '  main: app/worker.js',
    ...(name === 'dev' ? [] : ['  vars:', `    ENVIRONMENT: ${name}`]),
    'health:',
    '  - url: /health',
    '    expect:',
    '      status: 200',
    '      json:',
    '        ok: true',
    ...(dataCheck ? ['  - name: t1 still has its row', '    url: /data', '    expect:', '      status: 200'] : []),
    '',
  ].join('\n');
}

/**
 * Writes a project shaped like the repository's example: dev -> staging -> production
 * (bookmark on production, rollback by time travel), three `target: local` environments
 * running app/worker.js with a /health check, and `count` migrations. production also
 * checks GET /data (t1 must still have its row), so BREAKING_MIGRATION fails only there.
 */
export function writePromotionProject(dir, count) {
  for (const d of ['pipeline', 'environments', 'migrations', 'app']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, 'pipeline', 'pipeline.yaml'),
    'name: bench-promotion\nstages:\n  - environment: dev\n  - environment: staging\n  - environment: production\n    bookmark: true\nrollback:\n  database: time-travel\n',
  );
  writeFileSync(join(dir, 'environments', 'dev.yaml'), environmentYaml('dev'));
  writeFileSync(join(dir, 'environments', 'staging.yaml'), environmentYaml('staging'));
  writeFileSync(join(dir, 'environments', 'production.yaml'), environmentYaml('production', { dataCheck: true }));
  writeFileSync(join(dir, 'app', 'worker.js'), PROMOTION_WORKER);
  writeFileSync(
    join(dir, 'wrangler.jsonc'),
    JSON.stringify(
      {
        name: 'bench-promotion',
        main: 'app/worker.js',
        compatibility_date: '2026-04-01',
        d1_databases: [{ binding: 'DB', database_name: 'bench-promotion', database_id: DATABASE_ID, migrations_dir: 'migrations' }],
      },
      null,
      2,
    ) + '\n',
  );
  for (let i = 1; i <= count; i++) writeFileSync(join(dir, 'migrations', migrationName(i)), promotionMigrationSql(i));
}
