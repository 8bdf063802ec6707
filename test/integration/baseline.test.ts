/**
 * `promote baseline` on the local target, spawned as the real CLI: databases
 * built by hand or by other tools are adopted only when their schema proves
 * it, and a refusal writes nothing.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { batchEnv, cleanupProjects, ledgerNames, makeProject, queryEnv, runCli, tableNames } from '../helpers/project.js';
import { lastJson, migrationFiles, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

/** Runs the migration files' SQL by hand, the way a team did with `wrangler d1 execute --file`. */
function handApplied(count: number): string[] {
  return Object.values(migrationFiles(count)).flatMap((text) => text.split(';\n').map((s) => s.trim()).filter(Boolean));
}

async function everything(root: string, env: string): Promise<string> {
  const tables = await tableNames(root, env);
  const rows = await batchEnv(root, env, ['SELECT type, name, sql FROM sqlite_master ORDER BY name', ...tables.map((t) => `SELECT * FROM "${t}"`)]);
  return JSON.stringify(rows.map((r) => r.results));
}

describe('promote baseline (local)', () => {
  it('finds the prefix a hand-applied database has, records it, and the promotion then applies only the rest', async () => {
    const root = await makeProject(promotionFiles(6));
    await batchEnv(root, 'production', handApplied(4));

    const migrate = await runCli(['migrate', '--env', 'production', '--cwd', root]);
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toContain('table t1 already exists');
    expect(migrate.stderr).toContain('run `promote baseline --env production`');

    const dry = await runCli(['baseline', '--env', 'production', '--dry-run', '--json', '--cwd', root]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(lastJson(dry.stdout).databases).toMatchObject([{ status: 'would record', through: '0004_t4.sql' }]);
    expect(await ledgerNames(root, 'production')).toEqual([]);

    const res = await runCli(['baseline', '--env', 'production', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('schema matches through 0004_t4.sql; recorded 4 migration(s) as baseline');
    expect(await ledgerNames(root, 'production')).toEqual(['0001_t1.sql', '0002_t2.sql', '0003_t3.sql', '0004_t4.sql']);
    const meta = await queryEnv(root, 'production', 'SELECT name, adopted FROM promote_migrations ORDER BY name');
    expect(meta.map((m) => m.adopted)).toEqual([2, 2, 2, 2]);
    // the lease it took is released
    expect(await queryEnv(root, 'production', 'SELECT * FROM promote_lock')).toEqual([]);
    // the rows the hand-applied migrations inserted are still there, once
    expect(await queryEnv(root, 'production', 'SELECT name FROM t4')).toEqual([{ name: 'row of 4' }]);

    const again = await runCli(['baseline', '--env', 'production', '--cwd', root]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to record');
    const status = await runCli(['status', '--env', 'production', '--cwd', root]);
    expect(status.stdout).toMatch(/✓ 0004_t4\.sql {2}baseline, /);
    expect(status.stdout).toMatch(/0005_t5\.sql {2}pending/);

    const promote = await runCli(['--to', 'production', '--json', '--cwd', root]);
    expect(promote.code, promote.stderr).toBe(0);
    const stages = lastJson(promote.stdout).stages as { environment: string; migrations: string[] }[];
    expect(stages.map((s) => s.migrations.length)).toEqual([6, 6, 2]);
    expect(stages[2]!.migrations).toEqual(['0005_t5.sql', '0006_t6.sql']);
    expect(await queryEnv(root, 'production', 'SELECT count(*) AS n FROM t4')).toEqual([{ n: 1 }]);
  }, 180_000);

  it('refuses a database with one extra hand-made column, naming table and column, and writes nothing', async () => {
    const root = await makeProject(promotionFiles(3));
    await batchEnv(root, 'production', [...handApplied(2), 'ALTER TABLE t2 ADD COLUMN nickname TEXT']);
    const before = await everything(root, 'production');

    const res = await runCli(['baseline', '--env', 'production', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('baseline refused for production/DB; nothing was written');
    expect(res.stderr).toContain('closest prefix: through 0002_t2.sql');
    expect(res.stderr).toContain('table t2: column nickname TEXT only in live');
    const json = await runCli(['baseline', '--env', 'production', '--json', '--cwd', root]);
    expect(json.code).toBe(2);
    expect(lastJson(json.stdout).databases).toMatchObject([
      { status: 'refused', closest: '0002_t2.sql', differences: [{ object: 'table t2', kind: 'column', live: 'nickname TEXT' }] },
    ]);
    // --through checks exactly one prefix and refuses too
    expect((await runCli(['baseline', '--env', 'production', '--through', '0001', '--cwd', root])).code).toBe(2);

    expect(await everything(root, 'production')).toBe(before);
    expect(await tableNames(root, 'production')).toEqual(['t1', 't2']);
  }, 120_000);

  it('--through records exactly that prefix when it matches', async () => {
    const root = await makeProject(promotionFiles(3));
    await batchEnv(root, 'dev', handApplied(2));
    expect((await runCli(['baseline', '--env', 'dev', '--through', '0001', '--cwd', root])).code).toBe(2);
    const res = await runCli(['baseline', '--env', 'dev', '--through', '0002', '--cwd', root]);
    expect(res.code, res.stderr).toBe(0);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_t1.sql', '0002_t2.sql']);
  }, 120_000);
});

const drizzleHash = (text: string) => createHash('sha256').update(text).digest('hex');

/** Each other tool's ledger, as that tool leaves it after applying the first two of three files. */
const FOREIGN: { tool: string; table: string; rows: (files: Record<string, string>) => string[] }[] = [
  {
    tool: 'a migration runner (_migrations.filename)',
    table: '_migrations',
    rows: () => [
      "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, filename TEXT UNIQUE NOT NULL, applied_at TEXT DEFAULT (datetime('now')), checksum TEXT, execution_time_ms INTEGER)",
      'CREATE INDEX IF NOT EXISTS idx_migrations_filename ON _migrations(filename)',
      "INSERT INTO _migrations (filename, execution_time_ms) VALUES ('0001_t1.sql', 12), ('0002_t2.sql', 8)",
    ],
  },
  {
    tool: 'a migration runner (_migrations.version)',
    table: '_migrations',
    rows: () => [
      'CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      "INSERT INTO _migrations (version, name, applied_at) VALUES (1, '0001_t1', 1764000000000), (2, '0002_t2', 1764000100000)",
    ],
  },
  {
    tool: 'drizzle-orm',
    table: '__drizzle_migrations',
    rows: (files) => [
      'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
      `INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES ('${drizzleHash(files['migrations/0001_t1.sql']!)}', 1764000000000), ('${drizzleHash(files['migrations/0002_t2.sql']!)}', 1764000100000)`,
    ],
  },
  {
    tool: 'wrangler (migrations_table old_migrations)',
    table: 'old_migrations',
    rows: () => [
      'CREATE TABLE IF NOT EXISTS old_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
      "INSERT INTO old_migrations (name) VALUES ('0001_t1.sql'), ('0002_t2.sql')",
    ],
  },
];

describe("other tools' ledgers", () => {
  for (const f of FOREIGN) {
    it(`adopts ${f.tool}: status shows it, baseline proves and records it, the table is left as it was`, async () => {
      const files = promotionFiles(3);
      const root = await makeProject(files);
      await batchEnv(root, 'staging', [...handApplied(2), ...f.rows(files)]);
      const foreignBefore = JSON.stringify(await queryEnv(root, 'staging', `SELECT * FROM "${f.table}"`));

      const status = await runCli(['status', '--env', 'staging', '--cwd', root]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`0002_t2.sql  applied by ${f.tool}, not adopted: promote baseline --env staging adopts it`);
      expect(status.stdout).toMatch(/0003_t3\.sql {2}pending/);
      if (f === FOREIGN[0]) {
        const statusJson = JSON.parse((await runCli(['status', '--env', 'staging', '--json', '--cwd', root])).stdout);
        expect(statusJson.environments[0].databases[0].notAdopted).toEqual([
          { name: '0001_t1.sql', tool: f.tool },
          { name: '0002_t2.sql', tool: f.tool },
        ]);
      }

      const res = await runCli(['baseline', '--env', 'staging', '--cwd', root]);
      expect(res.code, res.stderr).toBe(0);
      expect(await ledgerNames(root, 'staging')).toEqual(['0001_t1.sql', '0002_t2.sql']);
      expect(JSON.stringify(await queryEnv(root, 'staging', `SELECT * FROM "${f.table}"`))).toBe(foreignBefore);

      if (f === FOREIGN.at(-1)) {
        const migrate = await runCli(['migrate', '--env', 'staging', '--json', '--cwd', root]);
        expect(migrate.code, migrate.stderr).toBe(0);
        expect(lastJson(migrate.stdout).databases).toMatchObject([{ applied: ['0003_t3.sql'] }]);
      }
    }, 120_000);
  }

  it('refuses a foreign ledger that claims a migration whose schema is absent, and writes nothing', async () => {
    const files = promotionFiles(3);
    const root = await makeProject(files);
    await batchEnv(root, 'staging', [
      ...handApplied(2),
      'CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      "INSERT INTO _migrations VALUES (1, '0001_t1', 1), (2, '0002_t2', 2), (3, '0003_t3', 3)",
    ]);
    const before = await everything(root, 'staging');
    const res = await runCli(['baseline', '--env', 'staging', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('closest prefix: through 0003_t3.sql');
    expect(res.stderr).toContain('table t3 only in the migrations');
    expect(await everything(root, 'staging')).toBe(before);
    expect(await ledgerNames(root, 'staging')).toEqual([]);
  }, 120_000);

  it('refuses a foreign ledger that names a file that does not exist', async () => {
    const root = await makeProject(promotionFiles(2));
    await batchEnv(root, 'dev', [
      ...handApplied(2),
      'CREATE TABLE _migrations (id INTEGER PRIMARY KEY, filename TEXT UNIQUE NOT NULL, applied_at TEXT)',
      "INSERT INTO _migrations (filename) VALUES ('0001_t1.sql'), ('0001_seed.sql')",
    ]);
    const res = await runCli(['baseline', '--env', 'dev', '--cwd', root]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('lists 0001_seed.sql, which no migration file matches');
    expect(await ledgerNames(root, 'dev')).toEqual([]);
  }, 60_000);
});
