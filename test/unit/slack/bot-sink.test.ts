import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackBotSink, type BotSinkOptions } from '../../../src/notify/slack/bot-sink.js';
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

function sink(options: Partial<BotSinkOptions> = {}) {
  return createSlackBotSink({
    token: 'xoxb-test-token',
    channel: '#deploys',
    apiUrl: slack.apiUrl,
    context: ctx,
    redact: (t) => t,
    onWarning: (w) => warnings.push(w),
    retryDelayMs: 50,
    ...options,
  });
}

type Call = ReturnType<FakeSlack['apiCalls']>[number];
const header = (c: Call): string => ((c.body.blocks as { type: string; text?: { text: string } }[])[0]?.text?.text ?? '');

describe('Slack bot sink', () => {
  it('posts one root message, keeps it up to date, and threads every step under it', async () => {
    const s = sink();
    for (const e of successRun) expect(s.write(e)).toBeUndefined();
    await s.close();
    const calls = slack.apiCalls();
    expect(warnings).toEqual([]);
    expect(calls.every((c) => c.auth === 'Bearer xoxb-test-token')).toBe(true);
    const [root, ...rest] = calls;
    expect(root!.method).toBe('chat.postMessage');
    expect(root!.body.channel).toBe('#deploys');
    expect(root!.body.thread_ts).toBeUndefined();
    // The root is rendered when its turn in the queue comes, from the newest state.
    expect(header(root!)).toMatch(/^:\w+: Promotion default → production: (running|promoted)$/);
    const rootTs = '1700000001.000100';
    // Everything after the root either edits it or replies in its thread; nothing else reaches the channel.
    for (const c of rest) {
      if (c.method === 'chat.update') expect(c.body).toMatchObject({ channel: 'C0FAKE', ts: rootTs });
      else expect(c.body).toMatchObject({ channel: 'C0FAKE', thread_ts: rootTs });
    }
    expect(calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined)).toHaveLength(1);
    const replies = rest.filter((c) => c.method === 'chat.postMessage').map((c) => c.body.text as string);
    expect(replies).toEqual([
      'staging migrate done: 3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql) (45 ms)',
      'staging deploy done: version v42 (was v41) (1.5 s)',
      'staging verify done: 1/1 checks passed (50 ms)',
      'staging promoted in 700 ms (3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql))',
      'production migrate done: no pending migrations (80 ms)',
      'production promoted in 90 ms (no pending migrations)',
      'Promotion promoted: default → production (staging promoted, production promoted); exit 0',
    ]);
    const updates = rest.filter((c) => c.method === 'chat.update');
    expect(updates.length).toBeGreaterThan(0);
    expect(header(updates.at(-1)!)).toBe(':white_check_mark: Promotion default → production: promoted');
    expect(updates.at(-1)!.body.text).toBe('Promotion default → production: promoted (staging promoted · 700 ms, production promoted · 90 ms)');
    for (const c of calls) expectWithinSlackLimits(c.body as never);
  });

  it('threads the failing check and the rollback, and marks the root rolled back', async () => {
    const s = sink();
    for (const e of rollbackRun) s.write(e);
    await s.close();
    const calls = slack.apiCalls();
    const replies = calls.filter((c) => c.body.thread_ts !== undefined).map(header);
    expect(replies).toContain(':x: production: verification failed');
    expect(replies).toContain(':leftwards_arrow_with_hook: production rolled back');
    expect(header(calls.filter((c) => c.method === 'chat.update').at(-1)!)).toBe(':leftwards_arrow_with_hook: Promotion default → production: rolled back');
    expect(warnings).toEqual([]);
  });

  it('treats { ok: false } as a failure: one warning for the root, one for what could not be threaded', async () => {
    const s = sink({ token: 'xoxb-wrong' });
    for (const e of successRun) s.write(e);
    await s.close();
    expect(slack.apiCalls()).toHaveLength(1);
    expect(warnings).toEqual([
      'Slack: "root message" not sent: chat.postMessage: invalid_auth',
      expect.stringMatching(/^Slack: \d+ updates not sent: the run's root message could not be posted$/),
    ]);
  });

  it('retries a rate-limited root post after Retry-After, then threads under it', async () => {
    slack.script({ status: 429, body: '', headers: { 'retry-after': '1' } });
    const s = sink();
    for (const e of rollbackRun.slice(0, 3)) s.write(e);
    await s.close();
    const [first, second] = slack.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
    const calls = slack.apiCalls();
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.slice(2).every((c) => c.body.ts === '1700000001.000100' || c.body.thread_ts === '1700000001.000100')).toBe(true);
    expect(warnings).toEqual([]);
  });
});
