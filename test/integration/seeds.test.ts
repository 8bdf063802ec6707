/**
 * Seed data per environment, through the real CLI on three local environments: seeds/all/ reaches
 * every environment, seeds/<env>/ only its own, each after that environment's migrations, each once.
 * Everything is checked by reading each environment's database, not the CLI's word for it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_FILES, LOCAL_ENV, batchEnv, cleanupProjects, ledgerNames, makeProject, queryEnv, runCli, stateFingerprint, writeFiles } from '../helpers/project.js';
import { lastJson, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

const ENVS = ['dev', 'staging', 'production'] as const;

const SEEDS = {
  'seeds/all/0001_names.sql': "-- every environment\nINSERT INTO t1 (name) VALUES ('all-1');\n",
  'seeds/dev/0001_sample.sql': "-- sample rows for dev\nINSERT INTO t1 (name) VALUES ('dev-1');\nINSERT INTO t2 (name) VALUES ('dev-2');\n",
  'seeds/production/0001_prod.sql': "INSERT INTO t2 (name) VALUES ('prod-1');\n",
};

interface Stage { environment: string; result: string; migrations: string[]; seeds: string[] }

async function rows(root: string, env: string): Promise<{ t1: string[]; t2: string[]; seeds: { id: number; name: string; applied_at: string; checksum: string; run_id: string }[] }> {
  const [t1, t2, seeds] = await batchEnv(root, env, ['SELECT name FROM t1 ORDER BY id', 'SELECT name FROM t2 ORDER BY id', 'SELECT id, name, applied_at, checksum, run_id FROM promote_seeds ORDER BY id']);
  return {
    t1: (t1!.results ?? []).map((r) => String(r.name)),
    t2: (t2!.results ?? []).map((r) => String(r.name)),
    seeds: (seeds!.results ?? []) as never,
  };
}

const runs = (root: string) => (existsSync(join(root, '.promote', 'runs')) ? readdirSync(join(root, '.promote', 'runs')).length : 0);

describe('seeds per environment', () => {
  it('reach only their environment, after its migrations, and a rerun applies nothing twice', { timeout: 300_000 }, async () => {
    const root = await makeProject({ ...promotionFiles(2), ...SEEDS });
    const plan = await runCli(['plan', '--json'], { cwd: root });
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as { stages: { environment: string; databases: { seeds: { pending: string[]; applied: string[] } }[] }[] };
    expect(planned.stages.map((s) => [s.environment, s.databases[0]!.seeds.pending])).toEqual([
      ['dev', ['all/0001_names.sql', 'dev/0001_sample.sql']],
      ['staging', ['all/0001_names.sql']],
      ['production', ['all/0001_names.sql', 'production/0001_prod.sql']],
    ]);

    const first = await runCli(['--to', 'production', '--json'], { cwd: root });
    expect(first.code, first.stderr + first.stdout.slice(-2000)).toBe(0);
    const summary = lastJson(first.stdout) as { stages: Stage[] };
    expect(summary.stages.map((s) => [s.environment, s.seeds])).toEqual([
      ['dev', ['all/0001_names.sql', 'dev/0001_sample.sql']],
      ['staging', ['all/0001_names.sql']],
      ['production', ['all/0001_names.sql', 'production/0001_prod.sql']],
    ]);
    // The migrate step's event names the seeds it applied, after its migrations.
    const migrate = first.stdout.split('\n').filter((l) => l.includes('"step.succeeded"') && l.includes('"migrate"')).map((l) => JSON.parse(l) as { stage: string; detail: { migrations: string[]; seeds?: string[] } });
    expect(migrate.find((e) => e.stage === 'dev')!.detail).toEqual({ migrations: ['0001_t1.sql', '0002_t2.sql'], seeds: ['all/0001_names.sql', 'dev/0001_sample.sql'] });

    // Read from the databases: the migrations' own row, then the seeds of that environment only.
    const dev = await rows(root, 'dev');
    const staging = await rows(root, 'staging');
    const production = await rows(root, 'production');
    expect(dev.t1).toEqual(['row of 1', 'all-1', 'dev-1']);
    expect(dev.t2).toEqual(['row of 2', 'dev-2']);
    expect(staging.t1).toEqual(['row of 1', 'all-1']);
    expect(staging.t2).toEqual(['row of 2']);
    expect(production.t1).toEqual(['row of 1', 'all-1']);
    expect(production.t2).toEqual(['row of 2', 'prod-1']);
    for (const r of [dev, staging, production]) expect(r.t1.concat(r.t2).filter((n) => n.startsWith('dev-')).length).toBe(r === dev ? 2 : 0);
    expect(dev.seeds.map((s) => s.name)).toEqual(['all/0001_names.sql', 'dev/0001_sample.sql']);
    expect(dev.seeds.every((s) => s.checksum.startsWith('sha256:'))).toBe(true);

    // The seeds' ledger is bookkeeping, not schema: status shows it per environment.
    const status = JSON.parse((await runCli(['status', '--json'], { cwd: root })).stdout) as { environments: { name: string; databases: { seeds: { applied: string[]; pending: string[] } }[] }[] };
    expect(status.environments.map((e) => [e.name, e.databases[0]!.seeds])).toEqual([
      ['dev', { applied: ['all/0001_names.sql', 'dev/0001_sample.sql'], pending: [], changed: [] }],
      ['staging', { applied: ['all/0001_names.sql'], pending: [], changed: [] }],
      ['production', { applied: ['all/0001_names.sql', 'production/0001_prod.sql'], pending: [], changed: [] }],
    ]);

    // Rerun: nothing applied, ledger rows and row counts exactly as they were.
    const again = await runCli(['--to', 'production', '--json'], { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect((lastJson(again.stdout) as { stages: Stage[] }).stages.map((s) => s.seeds)).toEqual([[], [], []]);
    expect(await rows(root, 'dev')).toEqual(dev);
    expect(await rows(root, 'staging')).toEqual(staging);
    expect(await rows(root, 'production')).toEqual(production);

    // An applied seed edited afterwards: a warning with the file, never applied again.
    await writeFiles(root, { 'seeds/dev/0001_sample.sql': "INSERT INTO t1 (name) VALUES ('dev-1'), ('dev-1b');\n" });
    const edited = await runCli(['--to', 'production'], { cwd: root });
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stderr).toContain('seeds/dev/0001_sample.sql warning W_SEED_CHANGED');
    expect(await rows(root, 'dev')).toEqual(dev);
    const changed = JSON.parse((await runCli(['status', '--json', '--env', 'dev'], { cwd: root })).stdout) as { environments: { databases: { seeds: { changed: string[] } }[] }[] };
    expect(changed.environments[0]!.databases[0]!.seeds.changed).toEqual(['dev/0001_sample.sql']);

    // A new seeds/all/ file through `promote migrate`: staging gets it, dev and production only when promoted.
    await writeFiles(root, { 'seeds/all/0002_more.sql': "INSERT INTO t2 (name) VALUES ('all-2');\n" });
    const migrated = await runCli(['migrate', '--env', 'staging', '--json'], { cwd: root });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect((JSON.parse(migrated.stdout.trim().split('\n').at(-1)!) as { databases: { seeds: { applied: string[] } }[] }).databases[0]!.seeds.applied).toEqual(['all/0002_more.sql']);
    expect((await rows(root, 'staging')).t2).toEqual(['row of 2', 'all-2']);
    expect((await rows(root, 'dev')).t2).toEqual(['row of 2', 'dev-2']);
    const migratedAgain = await runCli(['migrate', '--env', 'staging'], { cwd: root });
    expect(migratedAgain.stdout).toContain('staging/DB: up to date');
    expect((await rows(root, 'staging')).t2).toEqual(['row of 2', 'all-2']);
  });

  it('a seed that fails on the scratch copy refuses the run with its file:line before any environment is touched', { timeout: 300_000 }, async () => {
    const root = await makeProject({ ...promotionFiles(2), ...SEEDS });
    expect((await runCli(['--to', 'production'], { cwd: root })).code).toBe(0);
    const before = await Promise.all(ENVS.map((e) => rows(root, e)));
    // A new migration for every stage, and a production seed whose third line names a missing column.
    await writeFiles(root, {
      'migrations/0003_t3.sql': 'CREATE TABLE t3 (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n',
      'seeds/production/0002_broken.sql': "-- broken on purpose\nINSERT INTO t3 (name) VALUES ('ok');\nINSERT INTO t3 (nope) VALUES ('x');\n",
    });
    const runsBefore = runs(root);
    const run = await runCli(['--to', 'production'], { cwd: root });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('seeds/production/0002_broken.sql:3');
    expect(run.stderr).toContain('production/DB');
    expect(run.stderr).toContain('no environment was changed');
    expect(runs(root)).toBe(runsBefore);
    for (const [i, env] of ENVS.entries()) {
      expect(await ledgerNames(root, env)).toEqual(['0001_t1.sql', '0002_t2.sql']);
      expect(await rows(root, env)).toEqual(before[i]);
    }
    // promote migrate refuses the same way.
    const migrate = await runCli(['migrate', '--env', 'production'], { cwd: root });
    expect(migrate.code, migrate.stderr).toBe(2);
    expect(migrate.stderr).toContain('seeds/production/0002_broken.sql:3');
    expect(await ledgerNames(root, 'production')).toEqual(['0001_t1.sql', '0002_t2.sql']);
  });

  it('a seed that passes preflight but meets a row only production has fails with nothing of it applied, and production is restored', { timeout: 300_000 }, async () => {
    const root = await makeProject({ ...promotionFiles(2), ...SEEDS });
    expect((await runCli(['--to', 'production'], { cwd: root })).code).toBe(0);
    // A row added to production by hand; the new seed inserts the same primary key (the scratch copy has no rows to see it).
    await batchEnv(root, 'production', ["INSERT INTO t2 (id, name) VALUES (100, 'by hand')"]);
    await writeFiles(root, { 'seeds/production/0002_fixed_id.sql': "INSERT INTO t1 (name) VALUES ('before');\nINSERT INTO t2 (id, name) VALUES (100, 'seeded');\n" });
    const before = await rows(root, 'production');
    const run = await runCli(['--to', 'production', '--json'], { cwd: root });
    expect(run.code, run.stderr + run.stdout.slice(-1500)).toBe(1);
    const summary = lastJson(run.stdout) as { result: string; stages: Stage[] };
    expect(summary.result).toBe('rolled-back');
    expect(run.stdout).toContain('UNIQUE constraint failed: t2.id');
    // The seed and its ledger row share one transaction: neither is there, nor the first statement's row.
    expect(await rows(root, 'production')).toEqual(before);
  });

  it('bad seed files and layouts are exit 2 with file and line, before anything is touched', { timeout: 120_000 }, async () => {
    const cases: { files: Record<string, string>; expect: string[] }[] = [
      { files: { 'seeds/dev/0001_tx.sql': "INSERT INTO t1 (name) VALUES ('a');\nBEGIN TRANSACTION;\n" }, expect: ['seeds/dev/0001_tx.sql:2', 'E_TRANSACTION_STATEMENT'] },
      { files: { 'seeds/dev/sample.sql': "INSERT INTO t1 (name) VALUES ('a');\n" }, expect: ['seeds/dev/sample.sql', 'E_BAD_MIGRATION_NAME', '0001_sample.sql'] },
      { files: { 'seeds/dev/0001_a.sql': 'SELECT 1;\n', 'seeds/dev/0003_c.sql': 'SELECT 1;\n' }, expect: ['seeds/dev/0003_c.sql', 'E_NUMBERING_GAP'] },
      { files: { 'seeds/prod/0001_a.sql': 'SELECT 1;\n' }, expect: ['seeds/prod', 'E_SEED_UNKNOWN_ENV', 'seeds/production/'] },
      { files: { 'seeds/0001_a.sql': 'SELECT 1;\n' }, expect: ['seeds/0001_a.sql', 'E_SEED_LAYOUT', 'seeds/all/0001_a.sql'] },
      { files: { 'seeds/dev/AUX/0001_a.sql': 'SELECT 1;\n' }, expect: ['seeds/dev/AUX', 'E_SEED_UNKNOWN_BINDING', 'seeds/dev/DB/'] },
      { files: { 'seeds/dev/0001_a.rollback.sql': 'SELECT 1;\n' }, expect: ['E_SEED_ROLLBACK'] },
    ];
    for (const c of cases) {
      const root = await makeProject({ ...promotionFiles(2), ...c.files });
      const before = stateFingerprint(root);
      for (const args of [['--to', 'production'], ['validate']]) {
        const run = await runCli(args, { cwd: root });
        expect(run.code, `${args.join(' ')} with ${Object.keys(c.files).join(', ')}: ${run.stderr}`).toBe(2);
        for (const text of c.expect) expect(run.stderr).toContain(text);
      }
      expect(stateFingerprint(root)).toBe(before);
      expect(existsSync(join(root, '.promote'))).toBe(false);
    }
  });

  it('migrate --to: seeds wait while a migration stays pending above the target', { timeout: 120_000 }, async () => {
    const root = await makeProject({ ...promotionFiles(3), 'seeds/dev/0001_t3.sql': "INSERT INTO t3 (name) VALUES ('dev-3');\n" });
    const partial = await runCli(['migrate', '--env', 'dev', '--to', '0002'], { cwd: root });
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout).toContain('seed(s) wait until every migration is applied');
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_t1.sql', '0002_t2.sql']);
    expect(await queryEnv(root, 'dev', "SELECT name FROM sqlite_master WHERE name = 'promote_seeds'")).toEqual([]);
    const rest = await runCli(['migrate', '--env', 'dev', '--json'], { cwd: root });
    expect(rest.code, rest.stderr).toBe(0);
    expect((JSON.parse(rest.stdout.trim().split('\n').at(-1)!) as { databases: { applied: string[]; seeds: { applied: string[] } }[] }).databases[0]).toMatchObject({ applied: ['0003_t3.sql'], seeds: { applied: ['dev/0001_t3.sql'] } });
    expect((await queryEnv(root, 'dev', 'SELECT name FROM t3 ORDER BY id')).map((r) => r.name)).toEqual(['row of 3', 'dev-3']);
  });

  it('an environment with several databases takes its seeds from a folder per binding', { timeout: 120_000 }, async () => {
    const root = await makeProject({
      ...BASE_FILES,
      'environments/dev.yaml': `target: local\ndatabases:\n  - binding: DB\n  - binding: AUX\n    migrations: migrations-aux\nhealth: []\n`,
      'migrations-aux/0001_events.sql': 'CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL);\n',
      'seeds/all/DB/0001_admin.sql': "INSERT INTO users (email) VALUES ('admin@example.com');\n",
      'seeds/dev/AUX/0001_events.sql': "INSERT INTO events (kind) VALUES ('sample');\n",
    });
    const run = await runCli(['migrate', '--env', 'dev'], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('dev/AUX seed dev/AUX/0001_events.sql');
    expect((await queryEnv(root, 'dev', 'SELECT email FROM users')).map((r) => r.email)).toEqual(['admin@example.com']);
    expect((await queryEnv(root, 'dev', 'SELECT kind FROM events', 'AUX')).map((r) => r.kind)).toEqual(['sample']);
    expect((await queryEnv(root, 'dev', 'SELECT name FROM promote_seeds', 'AUX')).map((r) => r.name)).toEqual(['dev/AUX/0001_events.sql']);
    // staging has one database, DB: seeds/all/DB/ reaches it too.
    expect((await runCli(['migrate', '--env', 'staging'], { cwd: root })).code).toBe(0);
    expect((await queryEnv(root, 'staging', 'SELECT email FROM users')).map((r) => r.email)).toEqual(['admin@example.com']);

    // Files at the top of seeds/dev/ would be ambiguous for dev: exit 2 naming the folders per binding.
    await writeFiles(root, { 'seeds/dev/0001_x.sql': 'SELECT 1;\n' });
    const ambiguous = await runCli(['migrate', '--env', 'staging'], { cwd: root });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('seeds/dev/0001_x.sql');
    expect(ambiguous.stderr).toMatch(/E_SEED_LAYOUT|E_SEED_AMBIGUOUS/);
  });
});
