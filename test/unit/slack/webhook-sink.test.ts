import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { buildNotableMessage } from '../../../src/notify/slack/blocks.js';
import { emptyMemory, rememberEvent } from '../../../src/notify/run-memory.js';
import { createSlackWebhookSink, type WebhookSinkOptions } from '../../../src/notify/slack/webhook-sink.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack-server.js';
import { rollbackRun, successRun } from '../notify/runs.js';
import { ctx, expectWithinSlackLimits } from './slack-fixtures.js';

let slack: FakeSlack;
let warnings: string[];
beforeEach(async () => {
  slack = await startFakeSlack();
  warnings = [];
});
afterEach(() => slack.close());

function sink(options: Partial<WebhookSinkOptions> = {}) {
  return createSlackWebhookSink({ url: slack.webhookUrl, context: ctx, redact: (t) => t, onWarning: (w) => warnings.push(w), retryDelayMs: 50, ...options });
}

function expected(events: RunEvent[]) {
  let memory = emptyMemory;
  return events.flatMap((e) => {
    memory = rememberEvent(memory, e);
    const m = buildNotableMessage(e, ctx, memory);
    return m ? [m] : [];
  });
}

/** write() must return at once: it is called on the promotion's path. */
function playTimed(s: ReturnType<typeof sink>, events: RunEvent[]): number {
  const started = performance.now();
  for (const e of events) expect(s.write(e)).toBeUndefined();
  return performance.now() - started;
}

describe('Slack webhook sink', () => {
  it('posts one message per notable transition of a successful run, in order', async () => {
    const s = sink();
    playTimed(s, successRun);
    await s.close();
    const posts = slack.webhookPosts();
    expect(posts).toEqual(expected(successRun));
    expect(posts.map((p) => (p.blocks[0] as { text: { text: string } }).text.text)).toEqual([
      ':rocket: Promotion started: default → production',
      ':white_check_mark: staging promoted',
      ':white_check_mark: production promoted',
      ':white_check_mark: Promotion promoted: default → production',
    ]);
    for (const p of posts) expectWithinSlackLimits(p);
    expect(slack.requests.every((r) => r.method === 'POST' && r.headers['content-type']?.startsWith('application/json'))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('posts the verification failure, the rollback and the result of a rollback run', async () => {
    const s = sink();
    playTimed(s, rollbackRun);
    await s.close();
    const posts = slack.webhookPosts();
    expect(posts).toEqual(expected(rollbackRun));
    expect(posts.map((p) => p.text.split(':')[0])).toEqual([
      'Promotion started',
      'production',
      'production rolled back',
      'Promotion rolled back',
    ]);
    for (const p of posts) expectWithinSlackLimits(p);
  });

  it('posts only the kinds listed in `on`', async () => {
    const s = sink({ on: ['rollback.done', 'run.finished'] });
    playTimed(s, rollbackRun);
    await s.close();
    expect(slack.webhookPosts().map((p) => p.text.slice(0, 22))).toEqual(['production rolled back', 'Promotion rolled back:']);
  });

  it('retries a 500 within its time budget, then warns; the caller is never held up', async () => {
    slack.script(...Array.from({ length: 50 }, () => ({ status: 500, body: 'rollup_error' })));
    const s = sink({ on: ['run.started'], timeoutMs: 600 });
    expect(playTimed(s, successRun)).toBeLessThan(50);
    const started = performance.now();
    await s.drain();
    const took = performance.now() - started;
    expect(took).toBeLessThan(1500);
    expect(slack.requests.length).toBeGreaterThanOrEqual(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Slack webhook: "run\.started" not sent: HTTP 500 "rollup_error" \(gave up after \d+ attempts within 1 s\)$/);
    await s.close();
  });

  it('gives up on a hung Slack: close() returns by its deadline and says what was not sent', async () => {
    slack.script(...Array.from({ length: 10 }, () => 'hang' as const));
    const s = sink({ timeoutMs: 5_000, closeDeadlineMs: 400 });
    expect(playTimed(s, successRun)).toBeLessThan(50);
    const started = performance.now();
    await s.close();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(1000);
    expect(warnings).toEqual(['Slack webhook: 4 messages not sent: no answer before the 0.4 s deadline at the end of the run']);
    // Events after close are refused, not queued.
    s.write(successRun[0]!);
    expect(warnings.at(-1)).toBe('Slack webhook: "run.started" not sent: the notifier was already closed');
  });

  it('gives up on one message that gets no answer within its budget and sends the next', async () => {
    slack.script('hang');
    const s = sink({ on: ['run.started', 'run.finished'], timeoutMs: 300, closeDeadlineMs: 3000 });
    playTimed(s, successRun);
    await s.close();
    expect(warnings).toEqual(['Slack webhook: "run.started" not sent: no answer in time']);
    expect(slack.webhookPosts().map((p) => p.text.slice(0, 18))).toEqual(['Promotion started:', 'Promotion promoted']);
  });

  it('honours 429 Retry-After and keeps the order', async () => {
    slack.script({ status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } });
    const s = sink();
    playTimed(s, successRun);
    await s.close();
    const [first, second] = slack.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
    expect(slack.webhookPosts().slice(1)).toEqual(expected(successRun));
    expect(warnings).toEqual([]);
  });

  it('does not retry what will not fix itself (400 invalid_payload)', async () => {
    slack.script({ status: 400, body: 'invalid_payload' });
    const s = sink({ on: ['run.started'] });
    playTimed(s, successRun);
    await s.close();
    expect(slack.requests).toHaveLength(1);
    expect(warnings).toEqual(['Slack webhook: "run.started" not sent: HTTP 400 "invalid_payload"']);
  });

  it('retries a refused connection and reports it without throwing', async () => {
    await slack.close();
    const s = sink({ on: ['run.started'], timeoutMs: 400 });
    playTimed(s, successRun);
    await s.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Slack webhook: "run\.started" not sent: ECONNREFUSED/);
    slack = await startFakeSlack();
  });
});
