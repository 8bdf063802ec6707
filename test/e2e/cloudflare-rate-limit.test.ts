/**
 * The run's one request budget, through the real CLI, against a fake that enforces a small rate
 * limit the way Cloudflare does (429 code 971 past it): a run that would exceed it waits for the
 * window and sees no 429; with --wait shorter than the wait, it stops before sending, saying so.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS as ENVS, cloudflareProjectFiles, promoteCloudflare, startHealthServer } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject } from '../helpers/project.js';

const MIGRATIONS = {
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n',
  'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n',
};
const LIMIT = { requests: 2, windowMs: 3000 };

let fake: FakeCloudflare;
let health: Server;
let healthBase: string;
const uuids: Record<string, string> = {};

beforeAll(async () => {
  fake = await startFakeCloudflare({ rateLimit: LIMIT });
  for (const env of ENVS) uuids[env] = (await fake.addDatabase(`app-${env}`)).uuid;
  ({ server: health, base: healthBase } = await startHealthServer(fake, uuids));
}, 60_000);
afterAll(async () => {
  await new Promise((r) => health?.close(r));
  await fake?.close();
  await cleanupProjects();
});

const settle = () => new Promise((r) => setTimeout(r, LIMIT.windowMs + 100));

describe('PROMOTE_API_RATE_LIMIT against a rate-limiting fake', () => {
  it('migrate needs more requests than one window allows: it waits, applies everything, and no request got a 429', async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, MIGRATIONS));
    await settle();
    const from = fake.requests.length;
    const started = Date.now();
    const run = await promoteCloudflare({ fake, healthBase }, root, ['migrate', '--env', 'dev', '--json'], { PROMOTE_API_RATE_LIMIT: '2/3s' });
    expect(run.code, run.stderr).toBe(0);
    const sent = fake.requests.slice(from);
    expect(sent.length).toBeGreaterThan(LIMIT.requests);
    expect(sent.filter((r) => r.status === 429)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMIT.windowMs);
    expect((await fake.database(uuids.dev!).query('SELECT name FROM d1_migrations ORDER BY id')).map((r) => r.name)).toEqual(['0001_users.sql', '0002_notes.sql']);
  }, 120_000);

  it('with --wait shorter than the window, the promotion stops before the request that would exceed it (exit 1), naming the limit', async () => {
    const root = await makeProject(cloudflareProjectFiles({ fake, uuids }, MIGRATIONS));
    await settle();
    const from = fake.requests.length;
    const run = await promoteCloudflare({ fake, healthBase }, root, ['--to', 'staging', '--wait', '1s'], { PROMOTE_API_RATE_LIMIT: '2/60s' });
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout + run.stderr).toContain('the Cloudflare API rate limit (2 requests per 1 min) is used up');
    const sent = fake.requests.slice(from);
    expect(sent).toHaveLength(LIMIT.requests);
    expect(sent.filter((r) => r.status === 429)).toEqual([]);
    expect(fake.scripts.has('app-staging')).toBe(false);
  }, 120_000);
});
