/**
 * The three example projects in examples/, run end to end through the real CLI.
 * Each test works on a temp copy of its example (never in the repository's
 * examples/ folder), follows the story its README tells (v1, then the change
 * copied over the project), and then looks at what the person would look at:
 * the summary line, the databases (ledger, schema, rows) and the Worker
 * deployment history of every environment.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, batchEnv, ledgerNames, runCli, type CliResult } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

const ENVS = ['dev', 'staging', 'production'] as const;
type EnvName = (typeof ENVS)[number];

interface StageSummary {
  environment: string;
  result: 'promoted' | 'rolled-back' | 'failed' | 'skipped';
  bookmark?: string;
  migrations: string[];
  durationMs: number;
  workerVersion?: string;
  lostWritesWindowMs?: number;
}

interface Summary {
  type: 'summary';
  result: 'promoted' | 'rolled-back' | 'failed';
  runId: string;
  stages: StageSummary[];
  exitCode: number;
}

interface Deployment {
  id: string;
  versionId: string;
  message: string;
}

const copies: string[] = [];
afterAll(async () => {
  await Promise.all(copies.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temp copy of examples/<name>, without any local state a person's own runs left in the repository. */
async function copyExample(name: string): Promise<string> {
  const source = join(REPO, 'examples', name);
  const root = await mkdtemp(join(tmpdir(), `promote-e2e-${name}-`));
  copies.push(root);
  await cp(source, root, {
    recursive: true,
    filter: (src) => !src.slice(source.length).split(sep).some((part) => part === '.promote' || part === '.wrangler'),
  });
  return root;
}

/** What the README tells the person to do: cp -r <example>/change/. <example>/ */
async function applyChange(root: string): Promise<void> {
  await cp(join(root, 'change'), root, { recursive: true });
}

async function promote(root: string): Promise<{ res: CliResult; summary: Summary }> {
  const res = await runCli(['--to', 'production', '--cwd', root, '--json']);
  const summary = lastJson(res.stdout) as unknown as Summary;
  expect(summary.type, res.stderr + res.stdout).toBe('summary');
  return { res, summary };
}

function stage(summary: Summary, env: EnvName): StageSummary {
  const found = summary.stages.find((s) => s.environment === env);
  expect(found, `no stage ${env} in the summary`).toBeDefined();
  return found!;
}

function deployments(root: string, env: EnvName): Deployment[] {
  return JSON.parse(readFileSync(join(root, '.promote', 'envs', env, 'workers', 'deployments.json'), 'utf8')) as Deployment[];
}

function currentVersion(root: string, env: EnvName): string {
  return deployments(root, env).at(-1)!.versionId;
}

/** Several queries against one environment with a single Miniflare start. */
async function query(root: string, env: EnvName, sqls: string[]): Promise<Record<string, unknown>[][]> {
  const results = await batchEnv(root, env, sqls);
  return results.map((r) => r.results ?? []);
}

const columnsOf = (rows: Record<string, unknown>[]): string[] => rows.map((r) => String(r.name));

describe('examples/clean-promotion: seven migrations, dev -> staging -> production in one run', () => {
  const MIGRATIONS = [
    '0001_accounts.sql',
    '0002_users.sql',
    '0003_user_indexes.sql',
    '0004_audit_log.sql',
    '0005_audit_trigger.sql',
    '0006_plans.sql',
    '0007_seed_plans.sql',
  ];

  it('promotes every stage, each database holds the whole schema and the seed rows, a second run changes nothing', async () => {
    const root = await copyExample('clean-promotion');
    // the CRLF migration really is CRLF in the copy the CLI reads
    expect(readFileSync(join(root, 'migrations', '0004_audit_log.sql'), 'utf8')).toContain('\r\n');

    const { res, summary } = await promote(root);
    expect(res.code, res.stderr + res.stdout).toBe(0);
    expect(summary.result).toBe('promoted');
    expect(summary.exitCode).toBe(0);
    expect(summary.stages.map((s) => [s.environment, s.result])).toEqual([
      ['dev', 'promoted'],
      ['staging', 'promoted'],
      ['production', 'promoted'],
    ]);
    for (const env of ENVS) expect(stage(summary, env).migrations).toEqual(MIGRATIONS);
    expect(stage(summary, 'production').bookmark).toMatch(/^[0-9a-f-]{20,}$/);
    expect(stage(summary, 'dev').bookmark).toBeUndefined();
    expect(stage(summary, 'staging').bookmark).toBeUndefined();

    for (const env of ENVS) {
      const [ledger, tables, triggers, plans, accountColumns, indexes] = await query(root, env, [
        'SELECT name FROM d1_migrations ORDER BY id',
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'promote_%' ORDER BY name",
        "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        'SELECT code, price_cents FROM plans ORDER BY price_cents',
        'PRAGMA table_info(accounts)',
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY name",
      ]);
      expect(ledger!.map((r) => r.name), env).toEqual(MIGRATIONS);
      expect(tables!.map((r) => r.name), env).toEqual(['accounts', 'audit_log', 'd1_migrations', 'plans', 'users']);
      expect(triggers!.map((r) => r.name), env).toEqual(['accounts_audit_rename']);
      expect(plans, env).toEqual([
        { code: 'free', price_cents: 0 },
        { code: 'team', price_cents: 1200 },
        { code: 'business', price_cents: 4900 },
      ]);
      expect(columnsOf(accountColumns!), env).toEqual(['id', 'name', 'created_at', 'plan_code']);
      expect(indexes!.map((r) => r.name), env).toEqual(['idx_audit_entity', 'idx_users_account', 'idx_users_email']);
      expect(deployments(root, env), env).toHaveLength(1);
      expect(stage(summary, env).workerVersion).toBe(currentVersion(root, env));
    }

    // the trigger (BEGIN ... END with two statements) was created whole: it fires
    const [, , audit] = await query(root, 'dev', [
      "INSERT INTO accounts (name, plan_code) VALUES ('Acme', 'team')",
      "UPDATE accounts SET name = 'Acme Inc' WHERE name = 'Acme'",
      'SELECT entity, action FROM audit_log',
    ]);
    expect(audit).toEqual([{ entity: 'account', action: 'rename' }]);

    // nothing changed since: a second run applies nothing and deploys no new version
    const again = await promote(root);
    expect(again.res.code, again.res.stderr).toBe(0);
    expect(again.summary.result).toBe('promoted');
    for (const env of ENVS) {
      expect(stage(again.summary, env).migrations).toEqual([]);
      expect(deployments(root, env), env).toHaveLength(1);
    }
  });
});

describe('examples/staging-breaks: a renamed column dev cannot see and staging can', () => {
  const CHANGE = '0004_rename_note_title.sql';
  const V1 = ['0001_users.sql', '0002_notes.sql', '0003_notes_by_user.sql'];

  it('dev promotes, staging fails verify and rolls back with down migrations, production stays at v1', async () => {
    const root = await copyExample('staging-breaks');

    const v1 = await promote(root);
    expect(v1.res.code, v1.res.stderr + v1.res.stdout).toBe(0);
    expect(v1.summary.result).toBe('promoted');
    const v1Version = Object.fromEntries(ENVS.map((env) => [env, currentVersion(root, env)])) as Record<EnvName, string>;

    await applyChange(root);
    const { res, summary } = await promote(root);
    expect(res.code, res.stderr + res.stdout).toBe(1);
    expect(summary.result).toBe('rolled-back');
    expect(summary.exitCode).toBe(1);
    expect(summary.stages.map((s) => [s.environment, s.result])).toEqual([
      ['dev', 'promoted'],
      ['staging', 'rolled-back'],
      ['production', 'skipped'],
    ]);
    expect(stage(summary, 'dev').migrations).toEqual([CHANGE]);
    expect(stage(summary, 'staging').migrations).toEqual([CHANGE]);
    expect(stage(summary, 'production').migrations).toEqual([]);
    // down migrations, not time travel: staging has no bookmark and loses no writes
    expect(stage(summary, 'staging').bookmark).toBeUndefined();
    expect(stage(summary, 'staging').lostWritesWindowMs).toBeUndefined();
    // the failing check is named in the run's events
    expect(res.stdout).toContain('no such column: title');

    // ledgers: only dev keeps the change
    const ledgers = Object.fromEntries(await Promise.all(ENVS.map(async (env) => [env, await ledgerNames(root, env)] as const)));
    expect(ledgers).toEqual({ dev: [...V1, CHANGE], staging: V1, production: V1 });

    // schema: the column is headline in dev only; staging got title back
    for (const env of ENVS) {
      const [columns] = await query(root, env, ['PRAGMA table_info(notes)']);
      expect(columnsOf(columns!), env).toEqual(
        env === 'dev' ? ['id', 'user_id', 'headline', 'body', 'created_at'] : ['id', 'user_id', 'title', 'body', 'created_at'],
      );
    }

    // Workers: dev serves v2; staging deployed v2 and was put back to its v1; production never saw v2
    expect(currentVersion(root, 'dev')).not.toBe(v1Version.dev);
    expect(currentVersion(root, 'dev')).toBe(stage(summary, 'dev').workerVersion);
    const stagingHistory = deployments(root, 'staging');
    expect(stagingHistory).toHaveLength(3);
    expect(stagingHistory[1]!.versionId).not.toBe(v1Version.staging);
    expect(stagingHistory[2]!.message).toMatch(/^rollback/);
    expect(currentVersion(root, 'staging')).toBe(v1Version.staging);
    expect(stage(summary, 'staging').workerVersion).toBe(v1Version.staging);
    expect(deployments(root, 'production').map((d) => d.versionId)).toEqual([v1Version.production]);
  });
});

describe('examples/production-only: a cascade only production data reveals, undone by time travel', () => {
  const CHANGE = '0003_users_display_name.sql';
  const V1 = ['0001_users.sql', '0002_notes.sql'];

  it('dev and staging promote, production fails its note check and is restored to its bookmark, Worker back to v1', async () => {
    const root = await copyExample('production-only');

    const v1 = await promote(root);
    expect(v1.res.code, v1.res.stderr + v1.res.stdout).toBe(0);
    expect(v1.summary.result).toBe('promoted');
    const v1Version = Object.fromEntries(ENVS.map((env) => [env, currentVersion(root, env)])) as Record<EnvName, string>;
    // production's verify wrote the canary note: data only production has
    const [prodNotes] = await query(root, 'production', ['SELECT id, body FROM notes WHERE id = 1']);
    const prodNote = prodNotes![0];
    expect(prodNote).toMatchObject({ id: 1, body: expect.stringMatching(/^canary write at /) });
    const [stagingNotes] = await query(root, 'staging', ['SELECT count(*) AS n FROM notes']);
    expect(stagingNotes).toEqual([{ n: 0 }]);

    await applyChange(root);
    // validate sees the trap before anything runs
    const validate = await runCli(['validate', '--cwd', root]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stderr).toContain('W_CASCADE_ON_DROP');

    const { res, summary } = await promote(root);
    expect(res.code, res.stderr + res.stdout).toBe(1);
    expect(summary.result).toBe('rolled-back');
    expect(summary.exitCode).toBe(1);
    expect(summary.stages.map((s) => [s.environment, s.result])).toEqual([
      ['dev', 'promoted'],
      ['staging', 'promoted'],
      ['production', 'rolled-back'],
    ]);
    for (const env of ENVS) expect(stage(summary, env).migrations).toEqual([CHANGE]);
    const production = stage(summary, 'production');
    expect(production.bookmark).toMatch(/^[0-9a-f-]{20,}$/);
    expect(readdirSync(join(root, '.promote', 'envs', 'production', 'bookmarks'))).toContain(production.bookmark);
    expect(typeof production.lostWritesWindowMs).toBe('number');
    expect(production.lostWritesWindowMs).toBeGreaterThanOrEqual(0);
    expect(res.stdout).toContain('no such note');

    // production: ledger, schema and rows are those of the bookmark
    const [ledger, userColumns, note, tables] = await query(root, 'production', [
      'SELECT name FROM d1_migrations ORDER BY id',
      'PRAGMA table_info(users)',
      'SELECT notes.id, notes.body, users.email FROM notes JOIN users ON users.id = notes.user_id WHERE notes.id = 1',
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users_new'",
    ]);
    expect(ledger!.map((r) => r.name)).toEqual(V1);
    expect(columnsOf(userColumns!)).toEqual(['id', 'email', 'created_at']);
    expect(note).toEqual([{ id: 1, body: prodNote!.body, email: 'canary@example.com' }]);
    expect(tables).toEqual([]);

    // staging keeps the change: new ledger entry, the rebuilt users table
    const [stagingLedger, stagingColumns] = await query(root, 'staging', [
      'SELECT name FROM d1_migrations ORDER BY id',
      'PRAGMA table_info(users)',
    ]);
    expect(stagingLedger!.map((r) => r.name)).toEqual([...V1, CHANGE]);
    expect(columnsOf(stagingColumns!)).toEqual(['id', 'email', 'display_name', 'created_at']);

    // Workers: production deployed v2 and is back on its v1; staging serves v2
    const productionHistory = deployments(root, 'production');
    expect(productionHistory).toHaveLength(3);
    expect(productionHistory[1]!.versionId).not.toBe(v1Version.production);
    expect(productionHistory[2]!.message).toMatch(/^rollback/);
    expect(currentVersion(root, 'production')).toBe(v1Version.production);
    expect(production.workerVersion).toBe(v1Version.production);
    expect(deployments(root, 'staging')).toHaveLength(2);
    expect(currentVersion(root, 'staging')).not.toBe(v1Version.staging);
    expect(currentVersion(root, 'staging')).toBe(stage(summary, 'staging').workerVersion);
  });
});
