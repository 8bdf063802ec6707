import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeploymentsSink, type DeploymentsSinkOptions } from '../../../src/notify/github/deployments-sink.js';
import { createGitHubOctokit } from '../../../src/notify/github/github-octokit.js';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../../fakes/github-server.js';
import { rollbackRun, successRun } from '../notify/runs.js';
import { SHA } from '../slack/slack-fixtures.js';

let github: FakeGitHub;
let warnings: string[];
beforeEach(async () => {
  github = await startFakeGitHub();
  warnings = [];
});
afterEach(() => github.close());

function sink(options: Partial<DeploymentsSinkOptions> = {}) {
  return createDeploymentsSink({
    api: createGitHubOctokit({ token: FAKE_GITHUB_TOKEN, baseUrl: github.url }),
    repository: { owner: 'acme', repo: 'shop' },
    ref: SHA,
    logUrl: 'https://github.com/acme/shop/actions/runs/42',
    environmentUrl: (stage) => `https://${stage}.example.com`,
    redact: (t) => t,
    onWarning: (w) => warnings.push(w),
    retryDelayMs: 20,
    ...options,
  });
}

const states = (d: { statuses: Record<string, unknown>[] }) => d.statuses.map((s) => s.state);

describe('GitHub deployments sink', () => {
  it('creates one deployment per stage: in_progress, then success', async () => {
    const s = sink();
    for (const e of successRun) expect(s.write(e)).toBeUndefined();
    await s.close();
    expect(warnings).toEqual([]);
    expect(github.deployments.map((d) => [d.environment, states(d)])).toEqual([
      ['promote/staging', ['in_progress', 'success']],
      ['promote/production', ['in_progress', 'success']],
    ]);
    expect(github.deployments[1]!.body).toEqual({
      ref: SHA,
      environment: 'promote/production',
      description: 'promote production',
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      production_environment: true,
    });
    expect(github.deployments[0]!.body.production_environment).toBe(false);
    expect(github.deployments[0]!.statuses[1]).toEqual({
      state: 'success',
      description: 'staging promoted',
      log_url: 'https://github.com/acme/shop/actions/runs/42',
      environment_url: 'https://staging.example.com',
    });
    const first = github.requests[0]!;
    expect(first.path).toBe('/repos/acme/shop/deployments');
    expect(first.headers).toMatchObject({
      accept: 'application/vnd.github+json',
      authorization: `token ${FAKE_GITHUB_TOKEN}`,
      'x-github-api-version': '2022-11-28',
    });
  });

  it('marks a rolled-back stage failure, then inactive; a skipped stage gets no deployment', async () => {
    const s = sink({ environmentPrefix: '' });
    for (const e of rollbackRun) s.write(e);
    await s.close();
    expect(github.deployments.map((d) => [d.environment, states(d)])).toEqual([['production', ['in_progress', 'failure', 'inactive']]]);
    const [, failure, inactive] = github.deployments[0]!.statuses;
    expect(failure!.description).toBe('verify failed: GET /health: status 503, expected 200 (3 attempts, 412 ms, body "upstream \\"db\\" down\\nretry later")');
    expect(inactive!.description).toBe('rolled back (version v41 serving again)');
  });

  it('retries a 502, and reports a deployment GitHub refuses without throwing', async () => {
    github.script({ status: 502, body: { message: 'Bad Gateway' } }, { status: 422, body: { message: 'Validation Failed' } });
    const s = sink();
    for (const e of successRun) s.write(e);
    await s.close();
    expect(warnings).toEqual(['GitHub deployments: "create deployment staging" not sent: GitHub POST /repos/acme/shop/deployments: 422 Validation Failed']);
    // Staging has no deployment, so no statuses were attempted for it; production went through.
    expect(github.deployments.map((d) => [d.environment, states(d)])).toEqual([['promote/production', ['in_progress', 'success']]]);
  });

  it('does not hold up the run when GitHub hangs: close() returns by its deadline', async () => {
    github.script(...Array.from({ length: 20 }, () => 'hang' as const));
    const s = sink({ timeoutMs: 5_000, closeDeadlineMs: 300 });
    const started = performance.now();
    for (const e of successRun) s.write(e);
    expect(performance.now() - started).toBeLessThan(50);
    await s.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(warnings).toEqual([expect.stringMatching(/^GitHub deployments: \d+ messages not sent: no answer before the 0\.3 s deadline/)]);
  });
});
