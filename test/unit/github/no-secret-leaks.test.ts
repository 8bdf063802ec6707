/**
 * A secret set in the environment must never reach Slack, GitHub, the step
 * summary, the outputs file or the log, whichever event field it hides in;
 * the one line allowed to carry it is its own ::add-mask::.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretsFrom } from '../../../src/cli/run-sinks.js';
import type { RunEvent } from '../../../src/events/run-events.js';
import { createActionsSink } from '../../../src/notify/github/actions-sink.js';
import { createDeploymentsSink } from '../../../src/notify/github/deployments-sink.js';
import { createGitHubOctokit } from '../../../src/notify/github/github-octokit.js';
import { postPlanComment } from '../../../src/notify/github/plan-comment.js';
import { createSlackBotSink } from '../../../src/notify/slack/bot-sink.js';
import { runContextFromEnv } from '../../../src/notify/run-context.js';
import { createSlackWebhookSink } from '../../../src/notify/slack/webhook-sink.js';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../../fakes/github-server.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack-server.js';
import { rollbackRun } from '../notify/runs.js';

const SECRET = 'cf-5ecr3t-token-XYZ';

/** The rollback run with the secret planted in every kind of string an event carries. */
function leakyRun(): RunEvent[] {
  return rollbackRun.map((event) => {
    const e = structuredClone(event);
    if (e.type === 'step.failed') {
      e.error = `wrangler said: Authorization: Bearer ${SECRET}\nfailed`;
      const check = e.detail!.checks![0]!;
      check.url = `https://prod.example.com/health?token=${SECRET}`;
      check.reason = `body mentioned ${SECRET}`;
      check.attempts.at(-1)!.bodyExcerpt = `{"token":"${SECRET}"}`;
    }
    if (e.type === 'step.succeeded' && e.step === 'rollback') e.detail = { ...e.detail, bookmark: `bm-${SECRET}`, workerVersion: `v-${SECRET}` };
    if (e.type === 'summary') {
      e.message = `failed with ${SECRET}`;
      e.action = `run: curl -H "Authorization: ${SECRET}" ...`;
      e.stages[1]!.bookmark = `bm-${SECRET}`;
    }
    return e;
  });
}

let slack: FakeSlack;
let github: FakeGitHub;
let dir: string;
beforeEach(async () => {
  slack = await startFakeSlack();
  github = await startFakeGitHub();
  dir = mkdtempSync(join(tmpdir(), 'promote-leak-'));
});
afterEach(async () => {
  await slack.close();
  await github.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('no secret leaves the process', () => {
  it('in Slack payloads, GitHub bodies, the step summary, the outputs, the log or a warning', async () => {
    const env = {
      CLOUDFLARE_API_TOKEN: SECRET,
      SLACK_WEBHOOK_URL: slack.webhookUrl,
      GITHUB_ACTOR: `mallory-${SECRET}`,
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    };
    const redact = secretsFrom(env);
    const context = runContextFromEnv(env, 'default');
    const warnings: string[] = [];
    const onWarning = (w: string) => warnings.push(w);
    const log: string[] = [];
    const summaryFile = join(dir, 'summary.md');
    const outputFile = join(dir, 'output');

    // Slack answers the first webhook with an error that echoes the secret back.
    slack.script({ status: 400, body: `invalid_payload near ${SECRET} at ${slack.webhookUrl}` });
    const sinks = [
      createSlackWebhookSink({ url: env.SLACK_WEBHOOK_URL, context, redact, onWarning, retryDelayMs: 20 }),
      createSlackBotSink({ token: 'xoxb-test-token', channel: 'C1', apiUrl: slack.apiUrl, context, redact, onWarning, retryDelayMs: 20 }),
      createDeploymentsSink({
        api: createGitHubOctokit({ token: FAKE_GITHUB_TOKEN, baseUrl: github.url }),
        repository: { owner: 'acme', repo: 'shop' },
        ref: env.GITHUB_SHA,
        environmentUrl: () => `https://prod.example.com/?k=${SECRET}`,
        redact,
        onWarning,
      }),
    ];
    const actions = createActionsSink({ write: (l) => log.push(l), context, redact, secrets: [SECRET], summaryFile, outputFile, onWarning });
    for (const event of leakyRun()) {
      for (const s of sinks) s.write(event);
      actions.write(event);
    }
    await Promise.all(sinks.map((s) => s.close()));
    await postPlanComment({
      api: createGitHubOctokit({ token: FAKE_GITHUB_TOKEN, baseUrl: github.url }),
      repository: { owner: 'acme', repo: 'shop' },
      issueNumber: 1,
      plan: { stages: [{ environment: 'production', pending: [`0002_${SECRET}.sql`], drift: [] }], warnings: [{ severity: 'warning', code: 'W', message: SECRET, file: 'm.sql' }] },
      redact,
    });

    // Everything was produced: the checks below are about content, not absence.
    expect(slack.webhookPosts().length).toBeGreaterThanOrEqual(3);
    expect(slack.apiCalls().length).toBeGreaterThan(3);
    expect(github.deployments[0]!.statuses.length).toBe(3);
    expect(github.comments.get(1)).toHaveLength(1);
    expect(warnings.some((w) => w.includes('HTTP 400'))).toBe(true);

    const everything = [
      ...slack.requests.map((r) => r.raw),
      ...github.requests.map((r) => `${r.path} ${r.raw}`),
      readFileSync(summaryFile, 'utf8'),
      readFileSync(outputFile, 'utf8'),
      ...log.slice(1),
      ...warnings,
    ];
    for (const text of everything) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(slack.webhookUrl);
    }
    expect(log[0]).toBe(`::add-mask::${SECRET}`);
    expect(everything.join('\n')).toContain('***');
  });
});
