/**
 * Schema drift, end to end on local environments (Miniflare): staging is
 * changed by hand (an index added, a column dropped, a trigger changed) after
 * a clean promotion. `status`, `plan` and `diff` show it; `promote --to
 * production` refuses it (exit 2, the diff) before dev is touched, proven by
 * reading dev's ledger and schema afterwards; with `migrations.schemaDrift:
 * warn` the run goes through and the warning is in the terminal, the journal,
 * Slack and GitHub (annotation and step summary). `schemaIgnore` leaves out
 * what a Worker creates at run time, and the replay is cached by the ledger's
 * content.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../fakes/slack-server.js';
import { batchEnv, cleanupProjects, ledgerNames, makeProject, PIPELINE, queryEnv, runCli, writeFiles } from '../helpers/project.js';
import { envFile, HEALTHY_WORKER } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

const MIGRATIONS = {
  'migrations/0001_users.sql': `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nickname TEXT, updated_at TEXT);
CREATE TRIGGER users_touch AFTER UPDATE OF email ON users
BEGIN
  UPDATE users SET updated_at = datetime('now') WHERE id = NEW.id;
END;
`,
  'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);\n',
};
const APPLIED = ['0001_users.sql', '0002_notes.sql'];
const NEXT = { 'migrations/0003_tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n' };

/** What someone did to staging in the console. */
const BY_HAND = [
  'CREATE INDEX users_email_by_hand ON users(email)',
  'ALTER TABLE users DROP COLUMN nickname',
  'DROP TRIGGER users_touch',
  "CREATE TRIGGER users_touch AFTER UPDATE OF email ON users BEGIN UPDATE users SET updated_at = 'changed' WHERE id = NEW.id; END",
];

const files = (pipelineExtra = '') => ({
  'pipeline/pipeline.yaml': PIPELINE + pipelineExtra,
  'environments/dev.yaml': envFile(),
  'environments/staging.yaml': envFile(),
  'environments/production.yaml': envFile(),
  'app/worker.js': HEALTHY_WORKER,
  ...MIGRATIONS,
});

async function driftedProject(pipelineExtra = ''): Promise<string> {
  const root = await makeProject(files(pipelineExtra));
  const first = await runCli(['--to', 'production'], { cwd: root });
  expect(first.code, first.stdout + first.stderr).toBe(0);
  await batchEnv(root, 'staging', BY_HAND);
  await writeFiles(root, NEXT);
  return root;
}

const schemaOf = async (root: string, env: string) =>
  (await queryEnv(root, env, "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name")).map((r) => `${r.type} ${r.name}: ${r.sql}`);

interface StatusDb {
  binding: string;
  schema?: { matches: boolean | null; differences: { object: string; kind: string; expected?: string; live?: string }[]; unknown?: string };
}
const statusOf = (stdout: string) => JSON.parse(stdout) as { environments: { name: string; databases: StatusDb[] }[] };

describe('schema drift (local)', () => {
  it('status, plan and diff show a hand-made change; promote refuses it before dev is touched', { timeout: 300_000 }, async () => {
    const root = await driftedProject();
    const devSchemaBefore = await schemaOf(root, 'dev');

    const json = await runCli(['status', '--json'], { cwd: root });
    expect(json.code, json.stderr).toBe(0);
    const envs = statusOf(json.stdout).environments;
    const schema = (name: string) => envs.find((e) => e.name === name)!.databases[0]!.schema!;
    expect(schema('dev')).toEqual({ matches: true, differences: [] });
    expect(schema('production')).toEqual({ matches: true, differences: [] });
    const staging = schema('staging');
    expect(staging.matches).toBe(false);
    const kinds = staging.differences.map((d) => `${d.object} ${d.kind}`);
    expect(kinds).toContain('index users_email_by_hand object');
    expect(kinds).toContain('table users column');
    expect(kinds).toContain('trigger users_touch sql');
    expect(staging.differences.find((d) => d.kind === 'column')).toMatchObject({ expected: 'nickname TEXT' });
    expect(staging.differences.find((d) => d.object === 'index users_email_by_hand')).toMatchObject({ live: 'ON users (email)' });

    const text = await runCli(['status'], { cwd: root });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('schema: matches');
    expect(text.stdout).toContain('schema: 3 differences from its migrations');
    expect(text.stdout).toContain('index users_email_by_hand only in live');
    expect(text.stdout).toContain('table users: column nickname TEXT only in the migrations');

    const plan = await runCli(['plan'], { cwd: root });
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stderr).toContain('E_SCHEMA_DRIFT');
    expect(plan.stderr).toContain('staging/DB');
    expect(plan.stdout).toContain('index users_email_by_hand only in live');
    const planJson = JSON.parse((await runCli(['plan', '--json'], { cwd: root })).stdout) as { stages: { environment: string; databases: StatusDb[] }[]; problems: { code: string }[] };
    expect(planJson.stages.find((s) => s.environment === 'staging')!.databases[0]!.schema!.matches).toBe(false);
    expect(planJson.problems.map((p) => p.code)).toEqual(['E_SCHEMA_DRIFT']);

    const diff = await runCli(['diff', '--env', 'staging'], { cwd: root });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('schema: the migrations -> staging');
    expect(diff.stdout).toContain('index users_email_by_hand only in staging');
    expect(diff.stdout).toContain('table users: column nickname TEXT only in the migrations');
    const between = await runCli(['diff', '--env', 'production', '--env', 'staging', '--json'], { cwd: root });
    expect(between.code, between.stderr).toBe(0);
    const b = JSON.parse(between.stdout) as { left: string; right: string; databases: { binding: string; matches: boolean; differences: { object: string; kind: string; left?: string; right?: string }[] }[] };
    expect(b).toMatchObject({ left: 'production', right: 'staging' });
    expect(b.databases[0]!.matches).toBe(false);
    expect(b.databases[0]!.differences).toContainEqual({ object: 'index users_email_by_hand', kind: 'object', right: 'ON users (email)' });
    const same = await runCli(['diff', '--env', 'dev', '--env', 'production'], { cwd: root });
    expect(same.stdout).toContain('DB: same schema');

    const run = await runCli(['--to', 'production'], { cwd: root });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('E_SCHEMA_DRIFT');
    expect(run.stderr).toContain('index users_email_by_hand only in live');
    expect(run.stderr).toContain('trigger users_touch: sql');
    expect(run.stderr).toContain('schemaDrift: warn');
    expect(run.stdout).not.toContain('lock');
    // Nothing touched: dev (the first stage) has neither the ledger row nor the table of 0003.
    expect(await ledgerNames(root, 'dev')).toEqual(APPLIED);
    expect(await schemaOf(root, 'dev')).toEqual(devSchemaBefore);
    expect(await ledgerNames(root, 'staging')).toEqual(APPLIED);

    // The dry run sees the same refusal.
    const dry = await runCli(['--to', 'production', '--dry-run'], { cwd: root });
    expect(dry.code).toBe(2);
    expect(dry.stderr).toContain('E_SCHEMA_DRIFT');
  });

  it('schemaDrift: warn lets it through with the warning in the terminal, journal, Slack and GitHub', { timeout: 300_000 }, async () => {
    const slack = await startFakeSlack();
    const dir = await mkdtemp(join(tmpdir(), 'promote-drift-'));
    try {
      const root = await driftedProject(`migrations:\n  schemaDrift: warn\nnotify:\n  slack:\n    webhook: \${SLACK_WEBHOOK_URL:-}\n    timeout: 2s\n`);
      const summaryFile = join(dir, 'step-summary.md');
      const run = await runCli(['--to', 'production'], {
        cwd: root,
        env: {
          GITHUB_ACTIONS: 'true',
          GITHUB_STEP_SUMMARY: summaryFile,
          GITHUB_OUTPUT: join(dir, 'github-output'),
          GITHUB_TOKEN: '',
          GITHUB_REPOSITORY: '',
          SLACK_WEBHOOK_URL: slack.webhookUrl,
        },
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await ledgerNames(root, 'production')).toEqual([...APPLIED, '0003_tags.sql']);
      // Terminal (plain lines: not a TTY): the staging preflight line and the summary.
      expect(run.stdout).toMatch(/staging\s+preflight\s.*warning: schema drift: staging\/DB differs/);
      expect(run.stdout).toMatch(/summary: .*staging: warning: schema drift/);
      // GitHub: a warning annotation and the step summary.
      expect(run.stdout).toMatch(/::warning title=staging%3A preflight warning::schema drift: staging\/DB/);
      const summary = readFileSync(summaryFile, 'utf8');
      expect(summary).toContain('[!WARNING]');
      expect(summary).toContain('staging: warning: schema drift: staging/DB');
      // Journal: the preflight step's detail carries it.
      const runs = join(root, '.promote', 'runs');
      const journal = readdirSync(runs)
        .map((id) => join(runs, id, 'journal.ndjson'))
        .filter(existsSync)
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
      const events = journal.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; stage?: string; step?: string; detail?: { warnings?: string[] } });
      // (the journals of both runs: the first promotion, before the change by hand, warned of nothing)
      const preflights = (stage: string) => events.filter((e) => e.type === 'step.succeeded' && e.stage === stage && e.step === 'preflight');
      expect(preflights('staging').map((e) => e.detail?.warnings?.[0] ?? 'none')).toEqual(['none', expect.stringContaining('index users_email_by_hand only in live')]);
      expect(preflights('dev').map((e) => e.detail?.warnings)).toEqual([undefined, undefined]);
      // Slack: the run's final message says it.
      const finished = slack.webhookPosts().find((m) => m.text.startsWith('Promotion promoted'));
      expect(finished?.text).toContain('staging: warning: schema drift: staging/DB');
      expect(JSON.stringify(finished?.blocks)).toContain(':warning: staging: warning: schema drift');
    } finally {
      await slack.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('schemaIgnore leaves out what a Worker creates at run time; the replay is cached by the ledger', { timeout: 300_000 }, async () => {
    const root = await makeProject(files(`migrations:\n  schemaIgnore:\n    - 'cache_*'\n`));
    // Never created: no drift, nothing started.
    const fresh = await runCli(['status', '--json'], { cwd: root });
    expect(statusOf(fresh.stdout).environments.every((e) => e.databases[0]!.schema!.matches === true)).toBe(true);
    const first = await runCli(['--to', 'staging'], { cwd: root });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await batchEnv(root, 'staging', ['CREATE TABLE cache_sessions (k TEXT PRIMARY KEY, v TEXT)', 'CREATE INDEX cache_sessions_v ON cache_sessions(v)']);
    const cacheDir = join(root, '.promote', 'cache', 'expected-schema');
    const status = await runCli(['status', '--json', '--env', 'staging'], { cwd: root });
    expect(statusOf(status.stdout).environments[0]!.databases[0]!.schema).toEqual({ matches: true, differences: [] });
    // dev and staging hold the same ledger: one replay, one cache file.
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    // A cached replay is what is compared: a corrupt cache file is a miss, never an error.
    const [file] = readdirSync(cacheDir);
    const cached = JSON.parse(readFileSync(join(cacheDir, file!), 'utf8')) as { migrations: number; replay: { ok: boolean } };
    expect(cached).toMatchObject({ migrations: 2, replay: { ok: true } });
    const noSchema = await runCli(['status', '--json', '--no-schema', '--env', 'staging'], { cwd: root });
    expect(statusOf(noSchema.stdout).environments[0]!.databases[0]!.schema).toBeUndefined();
  });
});
