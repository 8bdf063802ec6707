/**
 * Notifications end to end: the real CLI promotes a local project while a fake
 * Slack (incoming webhook) and a fake GitHub (REST API, via GITHUB_API_URL) listen
 * on loopback, with the variables GitHub Actions sets. What each receiver got, the
 * step summary and the step outputs are checked, and so is what must never happen:
 * a notifier changing the run's exit code, holding the run up past its deadline,
 * or a secret reaching any output.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../src/notify/slack/block-kit.js';
import { PLAN_MARKER } from '../../src/notify/github/plan-comment.js';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../fakes/github-server.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { cleanupProjects, makeProject, PIPELINE, runCli, writeFiles, type CliResult } from '../helpers/project.js';
import { envFile, HEALTHY_WORKER, lastJson, promotionFiles } from '../helpers/promotion-project.js';

/** Named like a secret (…TOKEN), so promote must treat its value as one. A Worker var, not a credential: those may not go into config. */
const CANARY = 'canary-cf-token-7f3a9c2e5b';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const SLACK_TIMEOUT_MS = 2000;

const NOTIFY = `notify:
  slack:
    webhook: \${SLACK_WEBHOOK_URL:-}
    timeout: ${SLACK_TIMEOUT_MS}ms
`;

/** HEALTHY_WORKER plus /leak: a 500 whose body carries the LEAK var (the canary). */
const LEAKY_WORKER = HEALTHY_WORKER.replace(
  "if (url.pathname === '/health') {",
  "if (url.pathname === '/leak') return new Response(`upstream refused token ${env.LEAK}`, { status: 500 });\n    if (url.pathname === '/health') {",
);

/** production: a second check that fails, and the canary in the Worker's vars (so it lands in the check's body). */
const FAILING_PRODUCTION = `${envFile(`  - url: /leak
    name: leak
    retries: 0
    timeout: 2s
`)}`.replace('worker:\n  main: app/worker.js\n', 'worker:\n  main: app/worker.js\n  vars:\n    LEAK: ${LEAK_TOKEN}\n');

let slack: FakeSlack;
let github: FakeGitHub;
let dir: string;
beforeEach(async () => {
  slack = await startFakeSlack();
  github = await startFakeGitHub();
  dir = await mkdtemp(join(tmpdir(), 'promote-notify-'));
});
afterEach(async () => {
  await slack.close();
  await github.close();
  await rm(dir, { recursive: true, force: true });
});
afterAll(cleanupProjects);

/** What GitHub Actions sets for a push run, pointed at the fakes. */
function actionsEnv(): NodeJS.ProcessEnv {
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: SHA,
    GITHUB_TOKEN: FAKE_GITHUB_TOKEN,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'alice',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md'),
    GITHUB_OUTPUT: join(dir, 'github-output'),
    LEAK_TOKEN: CANARY,
    SLACK_WEBHOOK_URL: slack.webhookUrl,
  };
}

/** Nothing of GitHub or Slack: what a run on a laptop sees (also when these tests run in Actions). */
const QUIET: NodeJS.ProcessEnv = {
  GITHUB_ACTIONS: '',
  GITHUB_TOKEN: '',
  GITHUB_REPOSITORY: '',
  GITHUB_STEP_SUMMARY: '',
  GITHUB_OUTPUT: '',
  SLACK_WEBHOOK_URL: '',
  LEAK_TOKEN: CANARY,
};

async function project(): Promise<string> {
  return makeProject({ ...promotionFiles(2), 'app/worker.js': LEAKY_WORKER, 'pipeline/pipeline.yaml': PIPELINE + NOTIFY });
}

async function timed(args: string[], root: string, env: NodeJS.ProcessEnv): Promise<CliResult & { ms: number }> {
  const started = performance.now();
  const res = await runCli([...args, '--cwd', root], { env });
  return { ...res, ms: performance.now() - started };
}

/** Which notable transition a Slack message is, from its text fallback. */
function kindOf(message: SlackMessage): string {
  const t = message.text;
  if (t.startsWith('Promotion started:')) return 'run.started';
  if (t.startsWith('Promotion ')) return 'run.finished';
  if (/^\S+ promoted in /.test(t)) return `stage.promoted ${t.split(' ')[0]}`;
  if (/^\S+: verification failed/.test(t)) return `verify.failed ${t.split(':')[0]}`;
  if (/^\S+ rolled back: /.test(t)) return `rollback.done ${t.split(' ')[0]}`;
  return `other: ${t}`;
}

/** GITHUB_OUTPUT's `name<<DELIMITER` records. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const record = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2\n/gm;
  for (const m of text.matchAll(record)) outputs[m[1]!] = m[3]!;
  return outputs;
}

const states = (environment: string) => github.deployments.find((d) => d.environment === environment)?.statuses.map((s) => s.state);

function journals(root: string): string {
  const runs = join(root, '.promote', 'runs');
  if (!existsSync(runs)) return '';
  return readdirSync(runs)
    .map((id) => join(runs, id, 'journal.ndjson'))
    .filter(existsSync)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

/** Every place a secret could end up; stdout may hold it only on its own ::add-mask:: line. */
function expectNoSecrets(root: string, res: CliResult, secrets: string[]): void {
  const stdout = res.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  const places: [string, string][] = [
    ['stdout', stdout],
    ['stderr', res.stderr],
    ['journal', journals(root)],
    ['slack', slack.requests.map((r) => r.raw).join('\n')],
    ['github', github.requests.map((r) => `${r.method} ${r.path} ${r.raw}`).join('\n')],
    ['summary', existsSync(join(dir, 'step-summary.md')) ? readFileSync(join(dir, 'step-summary.md'), 'utf8') : ''],
    ['outputs', existsSync(join(dir, 'github-output')) ? readFileSync(join(dir, 'github-output'), 'utf8') : ''],
  ];
  for (const [where, text] of places) for (const secret of secrets) expect(text, `${where} leaks a secret`).not.toContain(secret);
}

describe('a promotion reports to Slack and GitHub', () => {
  it('promoted: Slack messages in order, a deployment per stage, the step summary and outputs', async () => {
    const root = await project();
    const res = await timed(['--to', 'production'], root, actionsEnv());
    expect(res.code, res.stderr + res.stdout).toBe(0);
    expect(res.stderr).not.toContain('warning');

    // Slack: one message per notable transition, in the order they happened, each with its text fallback.
    const posts = slack.webhookPosts();
    expect(posts.map(kindOf)).toEqual(['run.started', 'stage.promoted dev', 'stage.promoted staging', 'stage.promoted production', 'run.finished']);
    expect(posts[0]!.text).toBe('Promotion started: test → production. Stages: dev → staging → production');
    expect(posts[1]!.text).toMatch(/^dev promoted in .+ \(2 migrations \(0001_t1\.sql, 0002_t2\.sql\)\)$/);
    expect(posts.at(-1)!.text).toMatch(/^Promotion promoted: test → production \(dev promoted, staging promoted, production promoted\); exit 0$/);
    for (const p of posts) {
      expect(p.blocks[0]!.type).toBe('header');
      expect(JSON.stringify(p.blocks.at(-1))).toContain('https://github.com/acme/shop/actions/runs/4242');
    }

    // GitHub: a deployment per stage at the commit, in_progress then success; production is the last stage.
    expect(github.deployments.map((d) => [d.environment, d.ref, d.body.production_environment])).toEqual([
      ['promote/dev', SHA, false],
      ['promote/staging', SHA, false],
      ['promote/production', SHA, true],
    ]);
    for (const env of ['dev', 'staging', 'production']) expect(states(`promote/${env}`), env).toEqual(['in_progress', 'success']);
    expect(github.deployments[2]!.statuses[1]).toMatchObject({ description: 'production promoted', log_url: 'https://github.com/acme/shop/actions/runs/4242' });
    expect(github.requests[0]!.headers.authorization).toBe(`token ${FAKE_GITHUB_TOKEN}`);

    // The log: masks first, then a group per stage around the plain lines.
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(/^::add-mask::/);
    expect(lines).toContain(`::add-mask::${CANARY}`);
    expect(lines).toContain(`::add-mask::${FAKE_GITHUB_TOKEN}`);
    const firstPlain = lines.findIndex((l) => !l.startsWith('::add-mask::'));
    expect(lines.slice(firstPlain).some((l) => l.startsWith('::add-mask::'))).toBe(false);
    expect(lines.filter((l) => l.startsWith('::group::'))).toEqual(['::group::dev', '::group::staging', '::group::production']);

    // Step summary and outputs.
    const summary = readFileSync(join(dir, 'step-summary.md'), 'utf8');
    expect(summary).toContain('## ✅ promote: promoted · test → production');
    expect(summary).toContain('```mermaid');
    expect(summary).toContain('### ✅ production: promoted');
    const outputs = parseOutputs(readFileSync(join(dir, 'github-output'), 'utf8'));
    expect(outputs).toMatchObject({ result: 'promoted', 'exit-code': '0', 'result-dev': 'promoted', 'result-staging': 'promoted', 'result-production': 'promoted' });
    expect(outputs['run-id']).toMatch(/\S/);
    expect(outputs['bookmark-production']).toMatch(/\S/);
    expect(outputs['worker-version-production']).toMatch(/\S/);
    expect(summary).toContain(outputs['run-id']!);

    expectNoSecrets(root, res, [CANARY, slack.webhookUrl, FAKE_GITHUB_TOKEN]);
  });

  it('rolled back: Slack tells the lost-writes window, GitHub marks production failure then inactive, no secret anywhere', async () => {
    // v1 everywhere, quietly: a rollback needs a previous Worker version to go back to (one whose /leak answers 200).
    const root = await makeProject({ ...promotionFiles(2), 'pipeline/pipeline.yaml': PIPELINE + NOTIFY });
    const v1 = await runCli(['--to', 'production', '--cwd', root], { env: QUIET });
    expect(v1.code, v1.stderr + v1.stdout).toBe(0);
    // v2: a new migration and a Worker whose /leak fails with the canary in its body; production checks /leak.
    await writeFiles(root, {
      'migrations/0003_t3.sql': 'CREATE TABLE t3 (id INTEGER PRIMARY KEY, name TEXT);\n',
      'app/worker.js': LEAKY_WORKER.replace("'v1'", "'v2'"),
      'environments/production.yaml': FAILING_PRODUCTION,
    });

    const res = await timed(['--to', 'production'], root, actionsEnv());
    expect(res.code, res.stderr + res.stdout).toBe(1);
    expect(res.stdout).toContain('***');

    const posts = slack.webhookPosts();
    expect(posts.map(kindOf)).toEqual([
      'run.started',
      'stage.promoted dev',
      'stage.promoted staging',
      'verify.failed production',
      'rollback.done production',
      'run.finished',
    ]);
    const failed = posts[3]!;
    expect(failed.text).toContain('leak: status 500, expected 200');
    const rolledBack = posts[4]!;
    expect(rolledBack.text).toMatch(/^production rolled back: writes after bookmark \S+ are lost: .+ window/);
    expect(JSON.stringify(rolledBack.blocks)).toContain('*Writes lost:* writes after bookmark');
    expect(JSON.stringify(rolledBack.blocks)).toContain('*Lost-writes window*');
    expect(posts[5]!.text).toMatch(/^Promotion rolled back: test → production \(dev promoted, staging promoted, production rolled back\); exit 1/);

    expect(states('promote/dev')).toEqual(['in_progress', 'success']);
    expect(states('promote/staging')).toEqual(['in_progress', 'success']);
    expect(states('promote/production')).toEqual(['in_progress', 'failure', 'inactive']);
    const [, failure, inactive] = github.deployments.find((d) => d.environment === 'promote/production')!.statuses;
    expect(failure!.description).toMatch(/^verify failed: leak: status 500/);
    expect(inactive!.description).toMatch(/^rolled back/);

    const outputs = parseOutputs(readFileSync(join(dir, 'github-output'), 'utf8'));
    expect(outputs).toMatchObject({ result: 'rolled-back', 'exit-code': '1', 'result-production': 'rolled-back' });
    const summary = readFileSync(join(dir, 'step-summary.md'), 'utf8');
    expect(summary).toContain('### Rollback');
    expect(summary).toContain('> [!WARNING]');
    expect(res.stdout).toMatch(/^::error title=production%3A verify failed::/m);

    expectNoSecrets(root, res, [CANARY, slack.webhookUrl, FAKE_GITHUB_TOKEN]);
  });
});

describe('a broken Slack never changes the run', () => {
  /** A one-stage promotion: what a notifier may change is the time it takes, within its deadline, and nothing else. */
  async function promoteDev(env: NodeJS.ProcessEnv) {
    const root = await project();
    const res = await timed(['--to', 'dev', '--json'], root, { ...QUIET, ...env });
    return { root, res, summary: lastJson(res.stdout) };
  }

  it('answering 500: same exit code and result, a warning on stderr, done within the Slack deadline', async () => {
    const baseline = await promoteDev({});
    expect(baseline.res.code, baseline.res.stderr).toBe(0);
    slack.script(...Array.from({ length: 200 }, () => ({ status: 500, body: `internal error near ${CANARY}` })));
    const broken = await promoteDev({ SLACK_WEBHOOK_URL: slack.webhookUrl });
    expect(broken.res.code, broken.res.stderr).toBe(baseline.res.code);
    expect(broken.summary).toMatchObject({ type: 'summary', result: 'promoted', exitCode: 0 });
    expect(slack.requests.length).toBeGreaterThan(1);
    expect(broken.res.stderr).toMatch(/^promote: warning: Slack webhook: /m);
    expect(broken.res.ms - baseline.res.ms).toBeLessThan(SLACK_TIMEOUT_MS + 5000);
    expectNoSecrets(broken.root, broken.res, [CANARY, slack.webhookUrl]);
  });

  it('hanging: same exit code, the run ends by the Slack deadline', async () => {
    const baseline = await promoteDev({});
    slack.script(...Array.from({ length: 200 }, () => 'hang' as const));
    const hung = await promoteDev({ SLACK_WEBHOOK_URL: slack.webhookUrl });
    expect(hung.res.code, hung.res.stderr).toBe(baseline.res.code);
    expect(hung.summary).toMatchObject({ type: 'summary', result: 'promoted', exitCode: 0 });
    expect(slack.requests.length).toBeGreaterThanOrEqual(1);
    expect(hung.res.stderr).toMatch(/^promote: warning: Slack webhook: /m);
    expect(hung.res.ms - baseline.res.ms).toBeLessThan(SLACK_TIMEOUT_MS + 5000);
    expectNoSecrets(hung.root, hung.res, [CANARY, slack.webhookUrl]);
  });

  it('a failing run keeps its exit code with Slack down and GitHub refusing everything', async () => {
    const root = await makeProject({
      ...promotionFiles(1),
      'app/worker.js': LEAKY_WORKER,
      'pipeline/pipeline.yaml': PIPELINE + NOTIFY,
      // dev's very first deploy fails verify: nothing to roll the Worker back to.
      'environments/dev.yaml': FAILING_PRODUCTION,
    });
    const quiet = await timed(['--to', 'dev', '--json'], root, QUIET);
    slack.script(...Array.from({ length: 200 }, () => 'hang' as const));
    github.script(...Array.from({ length: 200 }, () => ({ status: 403, body: { message: 'Resource not accessible by integration' } })));
    const root2 = await makeProject({
      ...promotionFiles(1),
      'app/worker.js': LEAKY_WORKER,
      'pipeline/pipeline.yaml': PIPELINE + NOTIFY,
      'environments/dev.yaml': FAILING_PRODUCTION,
    });
    const loud = await timed(['--to', 'dev', '--json'], root2, actionsEnv());
    expect(quiet.code).not.toBe(0);
    expect(loud.code, loud.stderr).toBe(quiet.code);
    expect(lastJson(loud.stdout)).toMatchObject({ type: 'summary', result: lastJson(quiet.stdout).result, exitCode: quiet.code });
    // --json: stdout stays JSON lines; the workflow commands went to stderr.
    expect(loud.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('{'))).toEqual([]);
    expect(loud.stderr).toContain(`::add-mask::${CANARY}`);
    expect(loud.stderr).toMatch(/^promote: warning: GitHub deployments: .*403 Resource not accessible by integration/m);
    expect(loud.ms - quiet.ms).toBeLessThan(10_000 + 5000);
    expectNoSecrets(root2, { ...loud, stderr: loud.stderr.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n') }, [CANARY, slack.webhookUrl, FAKE_GITHUB_TOKEN]);
  });
});

describe('promote plan --comment', () => {
  async function eventFile(number: number): Promise<string> {
    const path = join(dir, 'event.json');
    await writeFile(path, JSON.stringify({ action: 'synchronize', pull_request: { number, head: { sha: SHA } } }));
    return path;
  }

  function prEnv(eventPath: string): NodeJS.ProcessEnv {
    return { ...QUIET, GITHUB_ACTIONS: 'true', GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/shop', GITHUB_TOKEN: FAKE_GITHUB_TOKEN, GITHUB_EVENT_PATH: eventPath, GITHUB_REF: 'refs/pull/7/merge', GITHUB_SHA: 'f'.repeat(40) };
  }

  it('creates the sticky comment, then updates it in place: never a duplicate', async () => {
    const root = await makeProject(promotionFiles(2));
    github.comments.set(7, [{ id: 1, body: 'LGTM' }]);
    const env = prEnv(await eventFile(7));

    const first = await runCli(['plan', '--comment', '--cwd', root], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('promote: plan comment created on pull request #7');
    const ours = () => github.comments.get(7)!.filter((c) => c.body.includes(PLAN_MARKER));
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.body).toContain('## promote plan for `0123456789ab`');
    expect(ours()[0]!.body).toContain('| production | `0001_t1.sql` expand<br>`0002_t2.sql` expand | none |');

    await writeFiles(root, { 'migrations/0003_t3.sql': 'CREATE TABLE t3 (id INTEGER PRIMARY KEY);\nDROP TABLE t1;\n' });
    const second = await runCli(['plan', '--comment', '--cwd', root], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('promote: plan comment updated on pull request #7');
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.body).toContain('`0003_t3.sql`');

    const third = await runCli(['plan', '--comment', '--json', '--cwd', root], { env });
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout).type).toBe('plan');
    expect(third.stderr).toContain('promote: plan comment unchanged on pull request #7');
    expect(github.comments.get(7)).toHaveLength(2);
    const writes = github.requests.filter((r) => r.method !== 'GET').map((r) => r.method);
    expect(writes).toEqual(['POST', 'PATCH']);
  });

  it('takes the number from GITHUB_REF when there is no event file', async () => {
    const root = await makeProject(promotionFiles(1));
    const res = await runCli(['plan', '--comment', '--cwd', root], { env: { ...prEnv(''), GITHUB_REF: 'refs/pull/12/merge' } });
    expect(res.code, res.stderr).toBe(0);
    expect(github.comments.get(12)).toHaveLength(1);
  });

  it('exits 2 with a clear message outside a pull request or without a token, before reading any environment', async () => {
    const root = await makeProject(promotionFiles(1));
    const push = await runCli(['plan', '--comment', '--cwd', root], { env: { ...prEnv(''), GITHUB_REF: 'refs/heads/main' } });
    expect(push.code).toBe(2);
    expect(push.stderr).toContain('promote: plan --comment: not in a pull request');
    const noToken = await runCli(['plan', '--comment', '--cwd', root], { env: { ...prEnv(await eventFile(7)), GITHUB_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('promote: plan --comment: GITHUB_TOKEN is not set');
    expect(noToken.stderr).toContain('pull-requests: write');
    expect(github.requests).toEqual([]);
    expect(existsSync(join(root, '.promote'))).toBe(false);
  });

  it('exits 1 with the permission hint when GitHub refuses', async () => {
    const root = await makeProject(promotionFiles(1));
    github.script({ status: 403, body: { message: 'Resource not accessible by integration' } });
    const res = await runCli(['plan', '--comment', '--cwd', root], { env: prEnv(await eventFile(7)) });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('the plan comment on pull request #7 was not posted: GitHub GET /repos/acme/shop/issues/7/comments: 403 Resource not accessible by integration');
    expect(res.stderr).toContain('pull-requests: write');
  });
});
