/**
 * A fake Slack: incoming webhooks at /webhook/<anything> and the Web API's
 * chat.postMessage / chat.update at /api/<method>. Answers can be scripted per
 * request (429 with Retry-After, 500, { ok: false }, or no answer at all).
 */
import type { SlackMessage } from '../../src/notify/slack/block-kit.js';
import { startRecordingServer, type RecordedRequest, type Reply } from './http-recorder.js';

export interface FakeSlack {
  url: string;
  webhookUrl: string;
  apiUrl: string;
  requests: RecordedRequest[];
  /** Webhook POSTs' JSON bodies, in order. */
  webhookPosts(): SlackMessage[];
  /** Web API calls, in order. */
  apiCalls(): { method: string; body: Record<string, unknown>; auth: string | undefined }[];
  /** The next requests get these answers, in order; after that, success. */
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const scripted: Reply[] = [];
  let ts = 1_700_000_000;
  const server = await startRecordingServer((req) => {
    const next = scripted.shift();
    if (next) return next;
    if (req.path.startsWith('/webhook/')) return { status: 200, body: 'ok' };
    const method = req.path.replace(/^\/api\//, '');
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.headers.authorization !== 'Bearer xoxb-test-token') return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    if (method === 'chat.postMessage') {
      if (!body.channel) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
      ts += 1;
      return { status: 200, body: { ok: true, channel: 'C0FAKE', ts: `${ts}.000100` } };
    }
    if (method === 'chat.update') {
      if (body.channel !== 'C0FAKE' || typeof body.ts !== 'string') return { status: 200, body: { ok: false, error: 'message_not_found' } };
      return { status: 200, body: { ok: true, channel: body.channel, ts: body.ts } };
    }
    return { status: 200, body: { ok: false, error: 'unknown_method' } };
  });
  return {
    url: server.url,
    webhookUrl: `${server.url}/webhook/T000/B000/XXXXSECRETXXXX`,
    apiUrl: `${server.url}/api`,
    requests: server.requests,
    webhookPosts: () => server.requests.filter((r) => r.path.startsWith('/webhook/')).map((r) => r.body as SlackMessage),
    apiCalls: () =>
      server.requests
        .filter((r) => r.path.startsWith('/api/'))
        .map((r) => ({ method: r.path.slice('/api/'.length), body: r.body as Record<string, unknown>, auth: r.headers.authorization })),
    script: (...replies) => void scripted.push(...replies),
    close: server.close,
  };
}
