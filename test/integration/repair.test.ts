/**
 * `promote repair` against the real wrangler binary on wrangler's own local state: scenario 001 (two
 * 0001_ files applied by wrangler, the second renumbered), a "rename" whose contents differ (refused,
 * nothing written), a retired file and an accepted checksum.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, batchEnv, cleanupProjects, makeProject, runCli } from '../helpers/project.js';

afterAll(cleanupProjects);

const WRANGLER = join(REPO, 'node_modules', '.bin', 'wrangler');

function wrangler(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(WRANGLER, args, { cwd, env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const BASE = {
  'wrangler.jsonc': `{
  "name": "jobmatch",
  "compatibility_date": "2026-04-01",
  "d1_databases": [{ "binding": "DB", "database_name": "jobmatch-dev", "database_id": "8140efd5-9912-4e31-981d-0566f1efe9dc" }]
}
`,
  'pipeline/pipeline.yaml': 'name: jobmatch\nstages:\n  - environment: dev\n  - environment: production\n',
  'environments/dev.yaml': 'target: local\nstate: .wrangler/state/v3\ndatabases:\n  - binding: DB\n',
  // never created: --all passes over it without starting anything
  'environments/production.yaml': 'target: local\ndatabases:\n  - binding: DB\n',
};

const INITIAL = `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, updated_at TEXT);
CREATE TRIGGER users_touch AFTER UPDATE OF email ON users
BEGIN
  UPDATE users SET updated_at = datetime('now') WHERE id = NEW.id;
END;
`;
const TRACKED = `CREATE TABLE tracked_applications (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, status TEXT NOT NULL DEFAULT 'applied');
CREATE INDEX idx_tracked_user ON tracked_applications(user_id);
`;

/** Ledger, metadata and schema of dev: "nothing written" means this is equal before and after. */
async function snapshot(root: string): Promise<string> {
  const [master] = await batchEnv(root, 'dev', ['SELECT type, name, sql FROM sqlite_master ORDER BY name']);
  const names = new Set((master?.results ?? []).map((r) => String(r.name)));
  const reads = ['SELECT * FROM d1_migrations ORDER BY id', ...(names.has('promote_migrations') ? ['SELECT * FROM promote_migrations ORDER BY name'] : [])];
  const rows = await batchEnv(root, 'dev', reads);
  return JSON.stringify([master?.results, ...rows.map((r) => r.results)]);
}

async function status(root: string) {
  const s = await runCli(['status', '--json', '--cwd', root]);
  expect(s.code, s.stderr).toBe(0);
  return JSON.parse(s.stdout).environments.find((e: { name: string }) => e.name === 'dev').databases[0];
}

describe('promote repair (real wrangler, --local)', () => {
  it('scenario 001: both 0001_ files applied by wrangler, the second renamed to 0002_, repair --all: wrangler and promote agree nothing is pending', async () => {
    const root = await makeProject({ ...BASE, 'migrations/0001_initial_schema.sql': INITIAL, 'migrations/0001_create_tracked_applications.sql': TRACKED });
    const applied = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local'], root);
    expect(applied.code, applied.out).toBe(0);

    // promote refuses the duplicate number, and its hint no longer says "only if not applied"
    const dup = await runCli(['validate', '--cwd', root]);
    expect(dup.code).toBe(2);
    expect(dup.stderr + dup.stdout).toContain('E_DUPLICATE_NUMBER');
    expect(dup.stderr + dup.stdout).toContain("'promote repair --all' then records the new name");

    await rename(join(root, 'migrations/0001_create_tracked_applications.sql'), join(root, 'migrations/0002_create_tracked_applications.sql'));
    const before = await status(root);
    expect(before).toMatchObject({
      renamed: [{ from: '0001_create_tracked_applications.sql', to: '0002_create_tracked_applications.sql', match: 'name' }],
      pending: [],
      drift: [],
    });
    const human = await runCli(['status', '--cwd', root, '--env', 'dev']);
    expect(human.stdout).toContain('renamed: 0001_create_tracked_applications.sql -> 0002_create_tracked_applications.sql');

    // a promotion meets the rename: exit 2, naming the repair command, nothing changed
    const unchanged = await snapshot(root);
    const promotion = await runCli(['--to', 'dev', '--cwd', root]);
    expect(promotion.code, promotion.stdout + promotion.stderr).toBe(2);
    expect(promotion.stdout + promotion.stderr).toContain('promote repair --env dev');
    expect(await snapshot(root)).toBe(unchanged);
    // wrangler, meanwhile, would apply the renamed file a second time
    const wranglerBefore = await wrangler(['d1', 'migrations', 'list', 'DB', '--local'], root);
    expect(wranglerBefore.out).toContain('0002_create_tracked_applications.sql');

    // repair takes the environment lock: while another run holds it, exit 3 and nothing written
    await batchEnv(root, 'dev', [
      'CREATE TABLE promote_lock(id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, owner TEXT NOT NULL, acquired_at TEXT NOT NULL, expires_at INTEGER NOT NULL)',
      "INSERT INTO promote_lock VALUES (1, 'r-other', 'ci@runner pid 1', '2026-01-01', 99999999999999)",
    ]);
    const held = await snapshot(root);
    const locked = await runCli(['repair', '--all', '--cwd', root]);
    expect(locked.code, locked.stdout + locked.stderr).toBe(3);
    expect(locked.stderr).toContain('dev is locked by run r-other');
    expect(await snapshot(root)).toBe(held);
    await batchEnv(root, 'dev', ['DELETE FROM promote_lock']);

    const repaired = await runCli(['repair', '--all', '--cwd', root]);
    expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('dev/DB: renamed 0001_create_tracked_applications.sql -> 0002_create_tracked_applications.sql');

    const list = await wrangler(['d1', 'migrations', 'list', 'DB', '--local'], root);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain('No migrations to apply');
    expect(await status(root)).toMatchObject({ pending: [], drift: [], renamed: [], applied: ['0002_create_tracked_applications.sql', '0001_initial_schema.sql'] });
    const [ledger, meta, lock] = await batchEnv(root, 'dev', [
      'SELECT name FROM d1_migrations ORDER BY id',
      'SELECT name, checksum, adopted FROM promote_migrations ORDER BY name',
      'SELECT count(*) AS n FROM promote_lock',
    ]);
    expect(ledger!.results.map((r) => r.name)).toEqual(['0002_create_tracked_applications.sql', '0001_initial_schema.sql']);
    expect(meta!.results).toMatchObject([{ name: '0002_create_tracked_applications.sql', adopted: 1 }]);
    expect(String(meta!.results[0]!.checksum)).toMatch(/^sha256:/);
    expect(lock!.results).toEqual([{ n: 0 }]); // the environment lock was taken and released

    // the schema and data are as wrangler left them, and the promotion now goes through
    const again = await runCli(['repair', '--all', '--cwd', root]);
    expect(again.stdout).toContain('nothing to repair');
    const promoted = await runCli(['--to', 'dev', '--cwd', root]);
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
  }, 180_000);

  it('refuses a rename whose contents differ, and writes nothing', async () => {
    const root = await makeProject({ ...BASE, 'migrations/0001_initial_schema.sql': INITIAL, 'migrations/0002_tracked.sql': TRACKED });
    const migrated = await runCli(['migrate', '--env', 'dev', '--cwd', root]);
    expect(migrated.code, migrated.stderr).toBe(0);
    await rm(join(root, 'migrations/0002_tracked.sql'));
    await writeFile(join(root, 'migrations/0003_tracked.sql'), TRACKED.replace("DEFAULT 'applied'", "DEFAULT 'new'"));
    await writeFile(join(root, 'migrations/0002_other.sql'), 'CREATE TABLE other (id INTEGER PRIMARY KEY);\n');

    const before = await snapshot(root);
    const refused = await runCli(['repair', '--env', 'dev', '--cwd', root]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('E_RENAME_CONTENTS_DIFFER');
    expect(refused.stderr).toContain('0002_tracked.sql (applied to dev/DB) is gone and 0003_tracked.sql has its name, but not the contents that were applied');
    expect(refused.stderr).toContain('nothing was written');
    expect(await snapshot(root)).toBe(before);
    expect((await status(root)).drift).toEqual([{ name: '0002_tracked.sql', reason: 'file missing' }]);
  }, 120_000);

  it('retire: validate accepts the gap and status shows it; accept-checksum: prints, records, and the promotion goes through', async () => {
    const root = await makeProject({
      ...BASE,
      'migrations/0001_initial_schema.sql': INITIAL,
      'migrations/0002_feature.sql': 'CREATE TABLE feature_flags (name TEXT PRIMARY KEY);\n',
      'migrations/0003_tracked.sql': TRACKED,
    });
    expect((await runCli(['migrate', '--env', 'dev', '--cwd', root])).code).toBe(0);

    // the team deletes an applied migration on purpose
    await rm(join(root, 'migrations/0002_feature.sql'));
    const gap = await runCli(['validate', '--cwd', root]);
    expect(gap.code).toBe(2);
    expect(gap.stderr).toContain("promote repair --retire <name>");
    const present = await runCli(['repair', '--retire', '0003_tracked.sql', '--cwd', root]);
    expect(present.code).toBe(2);
    expect(present.stderr).toContain('E_RETIRE_FILE_PRESENT');
    const retired = await runCli(['repair', '--retire', '0002_feature.sql', '--cwd', root]);
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toContain('0002_feature.sql retired in migrations/.retired');
    expect(readFileSync(join(root, 'migrations/.retired'), 'utf8')).toMatch(/^0002_feature\.sql {2}# retired \d{4}-\d{2}-\d{2}$/m);
    expect((await runCli(['validate', '--cwd', root])).code).toBe(0);
    expect(await status(root)).toMatchObject({ retired: ['0002_feature.sql'], drift: [], pending: [] });
    expect((await runCli(['status', '--cwd', root, '--env', 'dev'])).stdout).toContain('0002_feature.sql  retired (file removed on purpose)');

    // an applied file edited on purpose (a comment): the promotion refuses, naming accept-checksum
    await writeFile(join(root, 'migrations/0003_tracked.sql'), `-- tracked applications, one row per job applied to\n${TRACKED}`);
    const refused = await runCli(['--to', 'dev', '--cwd', root]);
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).toContain('promote repair --env dev --accept-checksum 0003_tracked.sql');
    const wrongFile = await runCli(['repair', '--env', 'dev', '--accept-checksum', 'migrations/0001_initial_schema.sql', '--cwd', root]);
    expect(wrongFile.code).toBe(2);
    expect(wrongFile.stderr).toContain('E_NOTHING_TO_ACCEPT');

    const accepted = await runCli(['repair', '--env', 'dev', '--accept-checksum', 'migrations/0003_tracked.sql', '--cwd', root]);
    expect(accepted.code, accepted.stderr).toBe(0);
    const line = accepted.stdout.split('\n').find((l) => l.includes('0003_tracked.sql checksum'))!;
    expect(line).toMatch(/dev\/DB: 0003_tracked\.sql checksum sha256:[0-9a-f]{64} -> sha256:[0-9a-f]{64}/);
    expect(accepted.stdout.indexOf('recording:')).toBeLessThan(accepted.stdout.indexOf('✓'));
    const [meta] = await batchEnv(root, 'dev', ["SELECT checksum FROM promote_migrations WHERE name = '0003_tracked.sql'"]);
    expect(line).toContain(`-> ${String(meta!.results[0]!.checksum)}`);
    expect(await status(root)).toMatchObject({ drift: [], pending: [] });
    expect(existsSync(join(root, '.wrangler/state/v3'))).toBe(true);
    const promoted = await runCli(['--to', 'dev', '--cwd', root]);
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
  }, 180_000);
});
