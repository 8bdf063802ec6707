/**
 * Chaos: secrets through every failure path that is cheap to trigger. Canary values are set as
 * CLOUDFLARE_API_TOKEN (the fake Cloudflare's real token), SLACK_WEBHOOK_URL (a fake Slack's
 * webhook, notify.slack on) and GITHUB_TOKEN (refused by a fake GitHub: Deployments warnings), and
 * the runs fail every way we can make them: bad config, SQL preflight error, migrate failure,
 * verify failure + rollback, rollback failure (exit 4, with a declared health secret in a health check URL), lock
 * held (exit 3), SIGINT (130). No canary may appear in stdout, stderr, anything promote writes under
 * .promote/ (journals, run.json, backups...), or the bodies the fakes received; the Cloudflare
 * token only in the Authorization header, the webhook only as the URL Slack was posted to.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { CLOUDFLARE_PIPELINE, cloudflareEnvFile } from '../helpers/cloudflare-project.js';
import { BIN, cleanupProjects, writeFiles, type CliResult } from '../helpers/project.js';
import { cloudflareEnv, countedMigrations, remoteWorld, runPromote, type RemoteWorld } from './chaos-helpers.js';

const CF_CANARY = 'cf-canary-0c1d2e3f4a5b6c7d8e9f';
const SLACK_CANARY = 'slack-canary-T0CANARY-B0CANARY-77aa88bb';
const GH_CANARY = 'ghp_canary00112233445566778899aabb';
/** A declared health secret (secrets: [HEALTH_KEY]): credentials themselves may not go into a check. */
const HEALTH_CANARY = 'health-canary-9e8d7c6b5a4f3e2d';
const CANARIES = [CF_CANARY, SLACK_CANARY, GH_CANARY, HEALTH_CANARY];

const NOTIFY = `notify:
  slack:
    webhook: \${SLACK_WEBHOOK_URL:-}
    timeout: 2s
`;

let fake: FakeCloudflare;
let slack: FakeSlack;
let github: FakeGitHub;
const results: { label: string; res: CliResult }[] = [];
const roots: string[] = [];

beforeAll(async () => {
  fake = await startFakeCloudflare({ token: CF_CANARY });
  slack = await startFakeSlack();
  github = await startFakeGitHub();
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await slack?.close();
  await github?.close();
  await cleanupProjects();
});

function secretEnv(w: RemoteWorld): NodeJS.ProcessEnv {
  return cloudflareEnv(fake, w, {
    SLACK_WEBHOOK_URL: `${slack.url}/webhook/${SLACK_CANARY}`,
    GITHUB_TOKEN: GH_CANARY,
    HEALTH_KEY: HEALTH_CANARY,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_API_URL: github.url,
  });
}

async function run(label: string, w: RemoteWorld, args: string[], expected: number[]): Promise<CliResult> {
  const res = await runPromote([...args, '--json', '--cwd', w.root], secretEnv(w));
  results.push({ label, res });
  expect(expected, `${label}: exit ${res.code}\n${res.stderr.slice(-1500)}\n${res.stdout.trim().split('\n').at(-1)}`).toContain(res.code);
  return res;
}

/** Every file under dir, recursively (symlinks not followed). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile());
}

function assertNoCanary(): void {
  for (const { label, res } of results) {
    for (const c of CANARIES) {
      expect(res.stdout, `${label}: stdout`).not.toContain(c);
      expect(res.stderr, `${label}: stderr`).not.toContain(c);
    }
  }
  let files = 0;
  for (const root of roots) {
    for (const file of filesUnder(join(root, '.promote'))) {
      files++;
      const text = readFileSync(file, 'latin1');
      for (const c of CANARIES) expect(text, `${relative(root, file)}`).not.toContain(c);
    }
  }
  expect(files, 'promote wrote journals and run records to check').toBeGreaterThan(0);
  for (const r of fake.requests) {
    for (const c of CANARIES) expect(r.body ?? '', `Cloudflare ${r.method} ${r.path} body`).not.toContain(c);
    for (const [name, value] of Object.entries(r.headers)) {
      if (name !== 'authorization') for (const c of CANARIES) expect(String(value), `Cloudflare header ${name}`).not.toContain(c);
    }
  }
  for (const r of [...slack.requests, ...github.requests]) {
    for (const c of CANARIES) expect(JSON.stringify(r.body ?? ''), `${r.method} ${r.path} body`).not.toContain(c);
  }
}

describe('canary secrets never leak, whatever fails', () => {
  it('through bad config, preflight error, migrate failure, verify failure, lock held and SIGINT', async () => {
    const w = await remoteWorld(fake, countedMigrations(3), { extraFiles: { 'pipeline/pipeline.yaml': CLOUDFLARE_PIPELINE + NOTIFY } });
    roots.push(w.root);
    try {
      // a clean promotion first (Slack posts, GitHub refuses the canary token: warnings)
      await run('clean promotion', w, ['--to', 'dev'], [0]);
      expect(slack.requests.length, 'Slack was notified').toBeGreaterThan(0);
      expect(github.requests.length, 'GitHub was tried').toBeGreaterThan(0);

      // bad config: an unknown key (and a ${VAR} holding the token, in a bad place)
      await writeFiles(w.root, { 'environments/dev.yaml': cloudflareEnvFile('dev').replace('target: cloudflare', 'target: ${CLOUDFLARE_API_TOKEN}') });
      await run('bad config', w, ['--to', 'production'], [2]);
      await writeFiles(w.root, { 'environments/dev.yaml': cloudflareEnvFile('dev') });

      // SQL error found by preflight
      await writeFiles(w.root, { 'migrations/0004_broken.sql': 'INSERT INTO no_such_table (id) VALUES (1);\n' });
      await run('preflight error', w, ['--to', 'production'], [2]);
      await rm(join(w.root, 'migrations/0004_broken.sql'));

      // migrate fails on real data only (duplicates the scratch copy does not have)
      await fake.database(w.uuids.dev!).query("INSERT INTO t2 (name) VALUES ('dup'), ('dup')");
      await writeFiles(w.root, { 'migrations/0004_unique.sql': 'CREATE UNIQUE INDEX t2_unique ON t2(name);\n' });
      await run('migrate failure', w, ['--to', 'dev'], [1, 4]);
      await rm(join(w.root, 'migrations/0004_unique.sql'));
      await fake.database(w.uuids.dev!).query("DELETE FROM t2 WHERE name = 'dup'");

      // verify fails (the new build is broken), dev rolls back
      const wrangler = readFileSync(join(w.root, 'wrangler.jsonc'), 'utf8');
      await writeFiles(w.root, { 'wrangler.jsonc': wrangler.replace('"ENVIRONMENT": "dev"', '"ENVIRONMENT": "dev",\n        "BROKEN": "yes"') });
      await run('verify failure + rollback', w, ['--to', 'dev'], [1]);
      await writeFiles(w.root, { 'wrangler.jsonc': wrangler });

      // the lock is held by another run
      await fake.database(w.uuids.dev!).query(
        "INSERT INTO promote_lock (id, run_id, owner, acquired_at, expires_at) VALUES (1, 'r-20990101T000000Z-abcdef', 'someone@elsewhere pid 1', '2099-01-01T00:00:00Z', 4102444800000)",
      );
      await writeFiles(w.root, { 'migrations/0004_t4.sql': countedMigrations(4)['migrations/0004_t4.sql']! });
      await run('lock held', w, ['--to', 'dev'], [3]);
      await fake.database(w.uuids.dev!).query('DELETE FROM promote_lock');

      // SIGINT while dev verifies (a soak keeps it there)
      await writeFiles(w.root, { 'environments/dev.yaml': cloudflareEnvFile('dev').replace('    retries: 1\n', '    retries: 1\n    soak: 3s\n') });
      const interrupted = await new Promise<CliResult>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, '--to', 'dev', '--json', '--cwd', w.root], { env: secretEnv(w), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let sent = false;
        child.stdout.on('data', (d) => {
          stdout += d;
          if (!sent && /"stage":"dev","step":"verify"/.test(stdout)) {
            sent = true;
            child.kill('SIGINT');
          }
        });
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      results.push({ label: 'SIGINT', res: interrupted });
      expect(interrupted.code, interrupted.stderr.slice(-1500)).toBe(130);
      // and resuming it
      await run('resume after SIGINT', w, ['resume', '--wait', '30s'], [0]);
    } finally {
      await w.close();
    }
    assertNoCanary();
  }, 240_000);

  it('through a rollback that fails (exit 4), with a declared secret in a health check URL', async () => {
    const failing = `  - url: \${HEALTH_BASE}/dev/missing?key=\${HEALTH_KEY}
    name: leaky
    retries: 0
    timeout: 2s
    expect:
      status: 200
`;
    const w = await remoteWorld(fake, countedMigrations(2), {
      envFile: (env, base) => (env === 'dev' ? `secrets: [HEALTH_KEY]\n${cloudflareEnvFile('dev', failing)}` : base),
      extraFiles: { 'pipeline/pipeline.yaml': CLOUDFLARE_PIPELINE + NOTIFY },
    });
    roots.push(w.root);
    try {
      const res = await run('rollback failure', w, ['--to', 'dev'], [4]);
      expect(res.stdout + res.stderr, 'the failing URL is shown, redacted').toContain('/dev/missing?key=');
    } finally {
      await w.close();
    }
    assertNoCanary();
  }, 180_000);
});
