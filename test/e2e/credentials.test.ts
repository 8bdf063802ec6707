/**
 * Credentials stay where they belong, with the real CLI:
 * - a config that would send a credential in a health check (URL, header or body; the
 *   Cloudflare token, a GitHub token, Slack's webhook and bot token) is refused with exit 2
 *   by every command that loads it, before any request leaves: a receiving server on
 *   127.0.0.1, which is also where Slack, GitHub and the Cloudflare API would have been
 *   reached, sees nothing at all;
 * - a declared health secret (`secrets: [PROBE_AUTH]`, a name no heuristic would call a
 *   secret) is sent in its header, and appears nowhere else: not in stdout/stderr, any file
 *   under .promote/, the step summary or outputs, or what Slack and GitHub received.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../fakes/github-server.js';
import { startRecordingServer, type RecordingServer } from '../fakes/http-recorder.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { cleanupProjects, makeProject, PIPELINE, runCli } from '../helpers/project.js';
import { envFile, promotionFiles } from '../helpers/promotion-project.js';

const CF_TOKEN = 'cf-exfil-canary-5d1e0f9a8b7c';
const BOT_TOKEN = 'xoxb-exfil-canary-1122334455';
const SECRET = 'probe-auth-4f9e2d7c1b0a5e83';

let receiver: RecordingServer;
let dir: string;
beforeEach(async () => {
  receiver = await startRecordingServer((req) =>
    req.path === '/probe' && req.headers.authorization === `Bearer ${SECRET}` ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } },
  );
  dir = await mkdtemp(join(tmpdir(), 'promote-credentials-'));
});
afterEach(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});
afterAll(cleanupProjects);

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((p) => join(root, p))
    .filter((p) => statSync(p).isFile());
}

/** 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('a config that would send a credential is refused before anything leaves', () => {
  it('URL, header and body; Cloudflare, GitHub and Slack credentials: exit 2 from every command that loads the config', async () => {
    const checks = `  - url: ${'${RECEIVER}'}/check?t=\${CLOUDFLARE_API_TOKEN}
  - url: ${'${RECEIVER}'}/check
    headers:
      Authorization: Bearer \${GITHUB_TOKEN}
  - url: ${'${RECEIVER}'}/check
    method: POST
    body: '{"hook":"\${SLACK_WEBHOOK_URL}","bot":"\${SLACK_BOT_TOKEN}"}'
`;
    const dev = envFile(checks);
    const root = await makeProject({
      ...promotionFiles(2),
      'environments/dev.yaml': dev,
      'pipeline/pipeline.yaml': `${PIPELINE}notify:\n  slack:\n    webhook: \${SLACK_WEBHOOK_URL:-}\n`,
    });
    // Everything that could carry a request points at the receiver.
    const env: NodeJS.ProcessEnv = {
      RECEIVER: receiver.url,
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_ACCOUNT_ID: 'acc-0123',
      CLOUDFLARE_API_BASE_URL: `${receiver.url}/cloudflare`,
      GITHUB_TOKEN: FAKE_GITHUB_TOKEN,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_API_URL: `${receiver.url}/github`,
      SLACK_WEBHOOK_URL: `${receiver.url}/slack/webhook`,
      SLACK_BOT_TOKEN: BOT_TOKEN,
    };
    const expected = [
      `environments/dev.yaml:${lineOf(dev, 'CLOUDFLARE_API_TOKEN')} error E_CONFIG_CREDENTIAL_USE: health[1].url: \${CLOUDFLARE_API_TOKEN} is the Cloudflare API token`,
      `environments/dev.yaml:${lineOf(dev, 'GITHUB_TOKEN')} error E_CONFIG_CREDENTIAL_USE: health[2].headers.Authorization: \${GITHUB_TOKEN} is a GitHub token`,
      `environments/dev.yaml:${lineOf(dev, 'SLACK_WEBHOOK_URL')} error E_CONFIG_CREDENTIAL_USE: health[3].body: \${SLACK_WEBHOOK_URL} is the Slack webhook URL`,
      `environments/dev.yaml:${lineOf(dev, 'SLACK_BOT_TOKEN')} error E_CONFIG_CREDENTIAL_USE: health[3].body: \${SLACK_BOT_TOKEN} is the Slack bot token`,
    ];
    const commands = [
      ['--to', 'dev'],
      ['--to', 'dev', '--dry-run'],
      ['validate'],
      ['plan', '--to', 'dev'],
      ['status'],
      ['resume'],
      ['rollback', '--env', 'dev'],
      ['serve', '--env', 'dev'],
      ['graph'],
      ['migrate', '--env', 'dev'],
    ];
    for (const args of commands) {
      const res = await runCli([...args, '--cwd', root], { env });
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      for (const line of expected) expect(res.stderr, args.join(' ')).toContain(line);
      expect(res.stderr).toContain('fix: remove ${CLOUDFLARE_API_TOKEN} from health[1].url');
      expect(res.stderr).toContain('secrets: [HEALTH_TOKEN]');
      for (const value of [CF_TOKEN, FAKE_GITHUB_TOKEN, BOT_TOKEN, env.SLACK_WEBHOOK_URL!]) {
        expect(res.stdout + res.stderr).not.toContain(value);
      }
    }
    expect(receiver.requests, 'nothing reached the receiver').toEqual([]);
    expect(existsSync(join(root, '.promote')), 'nothing was touched').toBe(false);
  }, 300_000);
});

describe('a declared health secret', () => {
  let slack: FakeSlack;
  let github: FakeGitHub;
  beforeEach(async () => {
    slack = await startFakeSlack();
    github = await startFakeGitHub();
  });
  afterEach(async () => {
    await slack.close();
    await github.close();
  });

  it('works in a header and appears in no output, file or payload', async () => {
    const probe = `  - url: \${RECEIVER}/probe?key=\${PROBE_AUTH}
    retries: 0
    headers:
      Authorization: Bearer \${PROBE_AUTH}
    expect:
      status: 200
`;
    const root = await makeProject({
      ...promotionFiles(2),
      'environments/dev.yaml': `secrets: [PROBE_AUTH]\n${envFile(probe)}`,
      'pipeline/pipeline.yaml': `${PIPELINE}notify:\n  slack:\n    webhook: \${SLACK_WEBHOOK_URL:-}\n    timeout: 2s\n`,
    });
    const summary = join(dir, 'step-summary.md');
    const outputs = join(dir, 'github-output');
    const res = await runCli(['--to', 'dev', '--cwd', root], {
      env: {
        RECEIVER: receiver.url,
        PROBE_AUTH: SECRET,
        GITHUB_ACTIONS: 'true',
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_OUTPUT: outputs,
        GITHUB_TOKEN: FAKE_GITHUB_TOKEN,
        GITHUB_REPOSITORY: 'acme/shop',
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        GITHUB_API_URL: github.url,
        SLACK_WEBHOOK_URL: slack.webhookUrl,
      },
    });
    expect(res.code, res.stderr + res.stdout.slice(-2000)).toBe(0);

    // It went where it belongs, in the header (and the URL the check names).
    const probes = receiver.requests.filter((r) => r.path === '/probe');
    expect(probes.length).toBeGreaterThan(0);
    for (const r of probes) {
      expect(r.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(r.query.get('key')).toBe(SECRET);
    }

    // The runner is told to mask it before promote prints anything else.
    const lines = res.stdout.split('\n');
    const masks = lines.findIndex((l) => !l.startsWith('::add-mask::'));
    expect(masks).toBeGreaterThan(0);
    expect(lines.slice(0, masks)).toContain(`::add-mask::${SECRET}`);
    const rest = lines.slice(masks).join('\n');
    expect(rest).not.toContain(SECRET);
    expect(res.stderr).not.toContain(SECRET);

    const written = [...filesUnder(join(root, '.promote')), summary, outputs];
    expect(written.some((f) => f.endsWith('journal.ndjson'))).toBe(true);
    expect(written.some((f) => f.endsWith('run.json'))).toBe(true);
    for (const file of written) expect(readFileSync(file, 'latin1'), relative(root, file)).not.toContain(SECRET);
    const journal = written.find((f) => f.endsWith('journal.ndjson'))!;
    expect(readFileSync(journal, 'utf8'), 'the check is recorded, its secret masked').toContain('/probe?key=***');

    expect(slack.requests.length, 'Slack was notified').toBeGreaterThan(0);
    expect(github.requests.length, 'GitHub was notified').toBeGreaterThan(0);
    for (const r of [...slack.requests, ...github.requests]) {
      expect(`${r.path}?${r.query.toString()} ${r.raw} ${JSON.stringify(r.headers)}`, `${r.method} ${r.path}`).not.toContain(SECRET);
    }
  }, 120_000);

  it('is required: unset, nothing runs (exit 2, the line in secrets:)', async () => {
    const root = await makeProject({ ...promotionFiles(1), 'environments/dev.yaml': `secrets: [PROBE_AUTH]\n${envFile('  - url: ${RECEIVER}/probe?key=${PROBE_AUTH:-}\n')}` });
    const res = await runCli(['--to', 'dev', '--cwd', root], { env: { RECEIVER: receiver.url } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('environments/dev.yaml:1 error E_CONFIG_SECRET_UNSET: secrets[0]: PROBE_AUTH is not set');
    expect(receiver.requests).toEqual([]);
  }, 60_000);
});
