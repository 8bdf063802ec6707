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
