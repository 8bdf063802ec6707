/**
 * A health-gated gradual rollout on the local target, through the real CLI:
 * Miniflare serves both versions behind the router Worker, which splits the
 * traffic and honours the version override header. The version store's
 * deployments.json is the router's history.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, ledgerNames, makeProject, runCli, writeFiles } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

/** Healthy, except that with LIVE_BROKEN it fails every request that came without the override header (real traffic). */
const WORKER = (version: string, liveBroken = false) => `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (${liveBroken} && !request.headers.has('cloudflare-workers-version-overrides')) {
      return Response.json({ ok: false, error: 'fails on live traffic', version: '${version}' }, { status: 503 });
    }
    if (url.pathname === '/health') {
      const row = await env.DB.prepare('SELECT count(*) AS n FROM d1_migrations').first();
      return Response.json({ ok: true, version: '${version}', migrations: row.n });
    }
    return new Response('ok');
  },
};
`;

const PIPELINE = `name: rollout
stages:
  - environment: production
    bookmark: true
rollback:
  database: time-travel
`;

const ENV = `target: local
databases:
  - binding: DB
worker:
  main: app/worker.js
  rollout:
    steps: [0, 10, 50, 100]
    soak: 300ms
health:
  - url: /health
    timeout: 2s
    retries: 0
    expect:
      status: 200
      json:
        ok: true
  - url: /health
    name: old version still healthy
    version: old
    timeout: 2s
    expect:
      status: 200
`;

interface LocalDeployment {
  versionId: string;
  split?: { versionId: string; percentage: number }[];
  runId: string;
}

function history(root: string): LocalDeployment[] {
  return JSON.parse(readFileSync(join(root, '.promote', 'envs', 'production', 'workers', 'deployments.json'), 'utf8')) as LocalDeployment[];
}

/** Each deployment as "<version>@<pct>[ <version>@<pct>]" with versions named by the map. */
function splits(deployments: LocalDeployment[], names: Map<string, string>): string[] {
  const name = (id: string) => names.get(id) ?? id;
  return deployments.map((d) => (d.split ?? [{ versionId: d.versionId, percentage: 100 }]).map((v) => `${name(v.versionId)}@${v.percentage}`).join(' '));
}

const promote = (root: string, extra: string[] = []) => runCli(['--to', 'production', '--json', '--cwd', root, ...extra]);

describe('gradual rollout on target: local', () => {
  it('walks 0 -> 10 -> 50 -> 100, then a version failing at 10% goes back to the old one at 100% with the database restored (exit 1)', async () => {
    const root = await makeProject({
      'pipeline/pipeline.yaml': PIPELINE,
      'environments/production.yaml': ENV,
      'app/worker.js': WORKER('v1'),
      'migrations/0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n',
    });
    // v1: nothing served before, so there is nothing to split with: it goes to 100% at once.
    const v1 = await promote(root);
    expect(v1.code, v1.stderr + v1.stdout.slice(-2000)).toBe(0);
    const v1Id = history(root).at(-1)!.versionId;

    // v2, with an expand migration: the rollout walks every step.
    await writeFiles(root, { 'app/worker.js': WORKER('v2'), 'migrations/0002_tags.sql': 'ALTER TABLE notes ADD COLUMN tags TEXT;\n' });
    const v2 = await promote(root);
    expect(v2.code, v2.stderr + v2.stdout.slice(-3000)).toBe(0);
    const v2Id = history(root).at(-1)!.versionId;
    const names = new Map([[v1Id, 'v1'], [v2Id, 'v2']]);
    expect(splits(history(root), names)).toEqual(['v1@100', 'v2@0 v1@100', 'v2@10 v1@90', 'v2@50 v1@50', 'v2@100']);
    const events = v2.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: { percentage: number; ok: boolean; checks: { name: string; attempts: unknown[] }[] } });
    const steps = events.filter((e) => e.type === 'rollout.step').map((e) => e.step!);
    expect(steps.map((s) => [s.percentage, s.ok])).toEqual([[0, true], [10, true], [50, true], [100, true]]);
    // The check pinned to the old version runs while the old version serves, and not once it is gone.
    expect(steps.map((s) => s.checks.length)).toEqual([2, 2, 2, 1]);
    // Soaked: several attempts per check and step.
    expect(steps[1]!.checks[0]!.attempts.length).toBeGreaterThan(2);
    const summary2 = lastJson(v2.stdout) as { stages: { rollout?: { percentage: number; ok: boolean }[] }[] };
    expect(summary2.stages[0]!.rollout).toEqual([{ percentage: 0, ok: true }, { percentage: 10, ok: true }, { percentage: 50, ok: true }, { percentage: 100, ok: true }]);
    expect(await ledgerNames(root, 'production')).toEqual(['0001_notes.sql', '0002_tags.sql']);

    // v3 passes its smoke test at 0% (override header) and fails on live traffic at 10%.
    await writeFiles(root, { 'app/worker.js': WORKER('v3', true), 'migrations/0003_index.sql': 'CREATE INDEX notes_tags ON notes(tags);\n' });
    const v3 = await promote(root);
    expect(v3.code, v3.stderr + v3.stdout.slice(-3000)).toBe(1);
    const after = history(root);
    const v3Id = after.find((d) => d.split?.[0] && !names.has(d.split[0].versionId))!.split![0]!.versionId;
    names.set(v3Id, 'v3');
    expect(splits(after, names).slice(5)).toEqual(['v3@0 v2@100', 'v3@10 v2@90', 'v2@100']);
    const summary3 = lastJson(v3.stdout) as { result: string; stages: { result: string; rollout?: { percentage: number; ok: boolean }[] }[] };
    expect(summary3.result).toBe('rolled-back');
    expect(summary3.stages[0]!.rollout).toEqual([{ percentage: 0, ok: true }, { percentage: 10, ok: false }]);
    // The database policy ran with the Worker rollback: the bookmark was restored.
    expect(await ledgerNames(root, 'production')).toEqual(['0001_notes.sql', '0002_tags.sql']);
    const rollback = v3.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string; detail?: { database?: string; workerVersion?: string } }).find((e) => e.type === 'step.succeeded' && e.step === 'rollback');
    expect(rollback?.detail).toMatchObject({ database: 'time-travel', workerVersion: v2Id });

    // The plain output names each step and its split.
    await writeFiles(root, { 'app/worker.js': WORKER('v4', true) });
    const plain = await runCli(['--to', 'production', '--cwd', root]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/rollout\s+✓ new [0-9a-f-]{36} at 0%, old [0-9a-f-]{36} at 100%: 2\/2 checks passed/);
    expect(plain.stdout).toMatch(/rollout\s+✗ new [0-9a-f-]{36} at 10%, old [0-9a-f-]{36} at 90%: 1\/2 checks passed/);
    expect(plain.stdout).toContain('production rollout 0% ✓ → 10% ✗');
  }, 180_000);

  it('refuses a contract migration before anything is touched (exit 2), and names the class in promote plan', async () => {
    const root = await makeProject({
      'pipeline/pipeline.yaml': PIPELINE,
      'environments/production.yaml': ENV,
      'app/worker.js': WORKER('v1'),
      'migrations/0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, legacy TEXT);\n',
    });
    expect((await promote(root)).code).toBe(0);
    const before = readFileSync(join(root, '.promote', 'envs', 'production', 'workers', 'deployments.json'), 'utf8');
    await writeFiles(root, { 'app/worker.js': WORKER('v2'), 'migrations/0002_drop_legacy.sql': '-- the code stopped reading it\nALTER TABLE notes DROP COLUMN legacy;\n' });

    const plan = await runCli(['plan', '--json', '--cwd', root]);
    const planJson = JSON.parse(plan.stdout) as { stages: { databases: { migrations: { name: string; class: string }[] }[] }[]; problems: { code: string }[] };
    expect(planJson.stages[0]!.databases[0]!.migrations).toEqual([{ name: '0002_drop_legacy.sql', class: 'contract', reasons: ['drops a column of notes'] }]);
    expect(planJson.problems.map((p) => p.code)).toEqual(['E_CONTRACT_IN_ROLLOUT']);
    expect(plan.code).toBe(2);

    const dry = await runCli(['--to', 'production', '--dry-run', '--cwd', root]);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain('rollout: 0% -> 10% -> 50% -> 100%');
    expect(dry.stdout + dry.stderr).toContain('E_CONTRACT_IN_ROLLOUT');

    const res = await runCli(['--to', 'production', '--cwd', root]);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    const text = res.stdout + res.stderr;
    expect(text).toContain('E_CONTRACT_IN_ROLLOUT');
    expect(text).toContain('migrations/0002_drop_legacy.sql:2');
    expect(text).toContain('ship 0002_drop_legacy.sql in a later release, after the code stops using the old shape');
    expect(await ledgerNames(root, 'production')).toEqual(['0001_notes.sql']);
    expect(readFileSync(join(root, '.promote', 'envs', 'production', 'workers', 'deployments.json'), 'utf8')).toBe(before);
  }, 120_000);

  it('refuses at the first stage when a later stage rolls out: nothing is touched anywhere', async () => {
    const plainEnv = ENV.replace(/  rollout:\n    steps: \[0, 10, 50, 100\]\n    soak: 300ms\n/, '');
    expect(plainEnv).not.toContain('rollout');
    const root = await makeProject({
      'pipeline/pipeline.yaml': 'name: two\nstages:\n  - environment: dev\n  - environment: production\n    bookmark: true\n',
      'environments/dev.yaml': plainEnv,
      'environments/production.yaml': ENV,
      'app/worker.js': WORKER('v1'),
      'migrations/0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, legacy TEXT);\n',
    });
    expect((await promote(root)).code).toBe(0);
    await writeFiles(root, { 'migrations/0002_rename.sql': 'ALTER TABLE notes RENAME COLUMN body TO text;\n' });
    const res = await runCli(['--to', 'production', '--json', '--cwd', root]);
    expect(res.code).toBe(2);
    // Refused before the run starts (every stage is planned before the first lock): no step ran, no run was journaled.
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; problems?: { code: string; message: string }[] });
    expect(lines.some((e) => e.type === 'step.started')).toBe(false);
    const error = lines.find((e) => e.type === 'error');
    expect(error?.problems?.map((p) => p.code)).toEqual(['E_CONTRACT_IN_ROLLOUT']);
    expect(error?.problems?.[0]?.message).toContain('production rolls its Worker out gradually');
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_notes.sql']);
    expect(await ledgerNames(root, 'production')).toEqual(['0001_notes.sql']);
  }, 120_000);

  it('never rolls the Worker back alone over a contract migration the database keeps (rollback.database: none): exit 4', async () => {
    const plainEnv = ENV.replace(/  rollout:\n    steps: \[0, 10, 50, 100\]\n    soak: 300ms\n/, '');
    const root = await makeProject({
      'pipeline/pipeline.yaml': 'name: one\nstages:\n  - environment: dev\nrollback:\n  database: none\n',
      'environments/dev.yaml': plainEnv,
      'app/worker.js': WORKER('v1'),
      'migrations/0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, legacy TEXT);\n',
    });
    expect((await runCli(['--to', 'dev', '--cwd', root])).code).toBe(0);
    const deployments = () => JSON.parse(readFileSync(join(root, '.promote', 'envs', 'dev', 'workers', 'deployments.json'), 'utf8')) as LocalDeployment[];
    await writeFiles(root, { 'app/worker.js': WORKER('v2', true), 'migrations/0002_drop.sql': 'ALTER TABLE notes DROP COLUMN legacy;\n' });
    const res = await runCli(['--to', 'dev', '--cwd', root]);
    expect(res.code, res.stdout + res.stderr).toBe(4);
    expect(res.stdout).toContain('keeps the contract migration 0002_drop.sql (rollback.database is none), so its Worker was not rolled back alone');
    // The deployment history ends with the new version: no rollback deployment was written.
    expect(deployments().map((d) => d.runId).filter((r, i, a) => a.indexOf(r) === i)).toHaveLength(2);
    expect(deployments().at(-1)!.runId).not.toBe(deployments()[0]!.runId);
    expect(await ledgerNames(root, 'dev')).toEqual(['0001_notes.sql', '0002_drop.sql']);
  }, 120_000);
});
