import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/events/run-events.js';
import { createRedactor, redactEvent } from '../../../src/notify/redact.js';
import { failingHealth } from './runs.js';

describe('redaction', () => {
  it('replaces every occurrence, longest secret first, and ignores secrets under 4 characters', () => {
    const redact = createRedactor(['abcd', 'abcdefgh', 'xy', '']);
    expect(redact('token=abcdefgh and abcd, abcdabcd, xy')).toBe('token=*** and ***, ******, xy');
  });

  it('treats secrets as text, not patterns', () => {
    expect(createRedactor(['a.b*c+d'])('a.b*c+d axbxcd')).toBe('*** axbxcd');
  });

  it('leaves text alone when there is nothing to hide', () => {
    expect(createRedactor([])('plain')).toBe('plain');
  });

  it('redacts every string of a nested event and leaves the original untouched', () => {
    const secret = 'cf-token-5ecr3t';
    const event: RunEvent = {
      type: 'step.failed',
      runId: 'r1',
      at: '2026-05-01T12:00:00.000Z',
      stage: 'production',
      step: 'verify',
      durationMs: 10,
      error: `wrangler said: bad token ${secret}`,
      detail: {
        message: `Authorization: Bearer ${secret}`,
        migrations: [`0002_${secret}.sql`],
        checks: [{ ...failingHealth, url: `https://x.dev/health?key=${secret}`, attempts: [{ attempt: 1, ok: false, latencyMs: 3, bodyExcerpt: `{"echo":"${secret}"}` }] }],
      },
    };
    const redacted = redactEvent(event, createRedactor([secret]));
    expect(JSON.stringify(redacted)).not.toContain(secret);
    expect(redacted).toMatchObject({
      error: 'wrangler said: bad token ***',
      detail: {
        message: 'Authorization: Bearer ***',
        migrations: ['0002_***.sql'],
        checks: [{ url: 'https://x.dev/health?key=***', attempts: [{ attempt: 1, latencyMs: 3, bodyExcerpt: '{"echo":"***"}' }] }],
      },
    });
    expect(event.error).toContain(secret);
  });
});
