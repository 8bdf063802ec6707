/**
 * A health-gated gradual rollout on target: cloudflare, against the fake API
 * with the real wrangler binary (`versions upload`, `versions deploy`). The
 * fake does not run Worker code: the loopback health server plays the
 * deployment, routing each check by the override header or by the fake's
 * current split, and answering from the reached version's vars.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../fake-cloudflare/server.js';
import { cloudflareProjectFiles, promoteCloudflare, wranglerConfig, type ServedRequest, startCloudflareWorld, type CloudflareWorld } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

let world: CloudflareWorld;
let fake: FakeCloudflare;
let healthBase: string;
let served: ServedRequest[];
let uuids: Record<string, string>;

beforeAll(async () => {
  world = await startCloudflareWorld();
  ({ fake, healthBase, uuids, served } = world);
}, 60_000);

afterAll(async () => {
  await world?.close();
  await cleanupProjects();
});

const PIPELINE = `name: cloud-rollout
stages:
  - environment: production
    bookmark: true
rollback:
  database: time-travel
`;

const ENV = `target: cloudflare
wrangler:
  env: production
worker:
  rollout:
    steps: [0, 10, 50, 100]
    soak: 300ms
health:
  - url: \${HEALTH_BASE}/production/health
    timeout: 2s
    retries: 0
    expect:
      status: 200
      json:
        ok: true
  - url: \${HEALTH_BASE}/production/health
    name: old version
    version: old
    timeout: 2s
`;

const SCRIPT = 'app-production';

/** The fake's deployments of the script, oldest first, as "<version>@<pct> ..." with versions named v1, v2, ... by upload order. */
function history(): string[] {
  const script = fake.scripts.get(SCRIPT)!;
  const name = (id: string) => `v${script.versions.findIndex((v) => v.id === id) + 1}`;
  return script.deployments.map((d) => d.versions.map((v) => `${name(v.version_id)}@${v.percentage}`).join(' '));
}

async function ledger(): Promise<string[]> {
  return ((await fake.database(uuids.production!).query('SELECT name FROM d1_migrations ORDER BY id')) as { name: string }[]).map((r) => r.name);
}

describe('gradual rollout on target: cloudflare (fake API, real wrangler)', () => {
  it('walks 0 -> 10 -> 50 -> 100 with versions upload/deploy, then a version failing at 10% goes back to the previous one at 100% with the bookmark restored (exit 1)', async () => {
    const files = cloudflareProjectFiles({ fake, uuids }, { 'migrations/0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n' });
    delete files['environments/dev.yaml'];
    delete files['environments/staging.yaml'];
    const root = await makeProject({ ...files, 'pipeline/pipeline.yaml': PIPELINE, 'environments/production.yaml': ENV });
    const promote = () => promoteCloudflare({ fake, healthBase }, root, ['--to', 'production', '--json']);

    const v1 = await promote();
    expect(v1.code, v1.stderr + v1.stdout.slice(-2000)).toBe(0);
    expect(history()).toEqual(['v1@100']);

    // v2: another build (a var changes) and an expand migration.
    await writeFiles(root, { 'wrangler.jsonc': wranglerConfig({ fake, uuids }, { production: { RELEASE: '2' } }), 'migrations/0002_tags.sql': 'ALTER TABLE notes ADD COLUMN tags TEXT;\n' });
    const v2 = await promote();
    expect(v2.code, v2.stderr + v2.stdout.slice(-3000)).toBe(0);
    expect(history()).toEqual(['v1@100', 'v2@0 v1@100', 'v2@10 v1@90', 'v2@50 v1@50', 'v2@100']);
    expect(fake.scripts.get(SCRIPT)!.versions[1]!.annotations).toMatchObject({ 'workers/tag': expect.stringMatching(/^c-[0-9a-f]{12}$/), 'workers/message': expect.stringContaining('build sha256:') });
    const steps = v2.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: { percentage: number; ok: boolean } }).filter((e) => e.type === 'rollout.step');
    expect(steps.map((e) => [e.step!.percentage, e.step!.ok])).toEqual([[0, true], [10, true], [50, true], [100, true]]);
    // At 0% the checks reached the new version through the override header.
    const v2Id = fake.scripts.get(SCRIPT)!.versions[1]!.id;
    expect(served.some((r) => r.versionId === v2Id && r.overridden)).toBe(true);
    expect(await ledger()).toEqual(['0001_notes.sql', '0002_tags.sql']);

    // v3 passes the smoke test at 0% and fails on live traffic at 10%.
    await writeFiles(root, { 'wrangler.jsonc': wranglerConfig({ fake, uuids }, { production: { RELEASE: '3', LIVE_BROKEN: 'yes' } }), 'migrations/0003_index.sql': 'CREATE INDEX notes_tags ON notes(tags);\n' });
    const v3 = await promote();
    expect(v3.code, v3.stderr + v3.stdout.slice(-3000)).toBe(1);
    expect(history().slice(5)).toEqual(['v3@0 v2@100', 'v3@10 v2@90', 'v2@100']);
    const summary = lastJson(v3.stdout) as { result: string; stages: { rollout?: { percentage: number; ok: boolean }[] }[] };
    expect(summary.result).toBe('rolled-back');
    expect(summary.stages[0]!.rollout).toEqual([{ percentage: 0, ok: true }, { percentage: 10, ok: false }]);
    // The database policy ran with it: the bookmark taken before migrating was restored.
    expect(await ledger()).toEqual(['0001_notes.sql', '0002_tags.sql']);
  }, 240_000);
});
