import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Duration } from '../../../src/config/schema.js';
import { createSlackNotifySchema } from '../../../src/config/slack-config.js';
import { createSlackSink } from '../../../src/notify/slack/slack-sink.js';

const schema = createSlackNotifySchema(Duration);
const options = { context: { pipeline: 'p' }, redact: (t: string) => t, onWarning: () => undefined };

describe('notify.slack config', () => {
  it('fills defaults: every notable kind, 10 s, slack.com', () => {
    expect(schema.parse({ webhook: 'https://hooks.slack.com/services/T/B/X' })).toEqual({
      webhook: 'https://hooks.slack.com/services/T/B/X',
      on: ['run.started', 'stage.promoted', 'verify.failed', 'rollback.done', 'rollback.failed', 'run.finished'],
      timeout: 10_000,
      apiUrl: 'https://slack.com/api',
    });
    expect(schema.parse({ token: 'xoxb-1', channel: 'C1', timeout: '3s', on: ['run.finished'] })).toMatchObject({ timeout: 3000, on: ['run.finished'] });
  });

  it('rejects unknown kinds, a token without a channel, and URLs that are not http(s)', () => {
    const issues = (v: unknown) => schema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ webhook: 'https://x.example', on: ['stage.started'] })?.[0]).toMatch(/^on\.0: /);
    expect(issues({ token: 'xoxb-1' })).toEqual(['channel: bot mode (token) needs a channel to post to']);
    expect(issues({ webhook: 'ftp://x.example' })?.[0]).toMatch(/^webhook: /);
    expect(issues({ webhook: 'https://x.example', hook: 1 })?.[0]).toMatch(/hook/);
  });

  it('has a JSON Schema for editors', () => {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
    expect(Object.keys(json.properties)).toEqual(['webhook', 'token', 'channel', 'on', 'timeout', 'apiUrl']);
  });

  it('chooses bot mode for a token, webhook mode for a webhook, nothing for an empty ${VAR:-}', async () => {
    expect(createSlackSink(schema.parse({ webhook: '' }), options)).toBeUndefined();
    const webhook = createSlackSink(schema.parse({ webhook: 'https://hooks.slack.com/x' }), options);
    const bot = createSlackSink(schema.parse({ token: 'xoxb-1', channel: 'C1', webhook: 'https://hooks.slack.com/x' }), options);
    expect(webhook).toBeDefined();
    expect(bot).toBeDefined();
    await webhook!.close();
    await bot!.close();
  });
});
