import { describe, expect, it } from 'vitest';
import type { CheckResult, RunEvent } from '../../../src/events/run-events.js';
import { clampMessage, header, section, truncate } from '../../../src/notify/slack/block-kit.js';
import { buildNotableMessage, notableKind, runContextFromEnv } from '../../../src/notify/slack/blocks.js';
import { emptyMemory, recallRun, rememberEvent } from '../../../src/notify/run-memory.js';
import { failingHealth, rollbackRun, successRun } from '../notify/runs.js';
import { commitField, contextBlock, ctx, expectWithinSlackLimits, field, triggerField } from './slack-fixtures.js';

function messagesOf(events: RunEvent[]) {
  let memory = emptyMemory;
  return events.flatMap((event) => {
    memory = rememberEvent(memory, event);
    const message = buildNotableMessage(event, ctx, memory);
    return message ? [{ kind: notableKind(event), message }] : [];
  });
}

describe('Slack messages', () => {
  it('picks the notable transitions of a successful run and builds exact payloads', () => {
    const messages = messagesOf(successRun);
    expect(messages.map((m) => m.kind)).toEqual(['run.started', 'stage.promoted', 'stage.promoted', 'run.finished']);
    expect(messages[1]!.message).toEqual({
      text: 'staging promoted in 700 ms (3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql))',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':white_check_mark: staging promoted', emoji: true } },
        {
          type: 'section',
          fields: [
            field('Environment', 'staging'),
            commitField,
            triggerField,
            field('Duration', '700 ms'),
            field('Migrations', '3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql)'),
            field('Worker version', 'v42 (was v41)'),
          ],
        },
        contextBlock,
      ],
    });
    expect(messages[3]!.message).toEqual({
      text: 'Promotion promoted: default → production (staging promoted, production promoted); exit 0',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':white_check_mark: Promotion promoted: default → production', emoji: true } },
        { type: 'section', fields: [commitField, triggerField, field('Duration', '820 ms'), field('Exit code', '0')] },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              ':white_check_mark: *staging* promoted · 700 ms · 3 migrations (0002_x.sql, 0003_y.sql, 0004_z.sql) · version v42 · bookmark `bm-1`\n' +
              ':white_check_mark: *production* promoted · 90 ms',
          },
        },
        contextBlock,
      ],
    });
  });

  it('shows the failing check evidence, then the rollback with its lost-writes window and bookmark', () => {
    const bm = '00000085-0000-4e5b-8000-00000000abcd';
    const messages = messagesOf(rollbackRun);
    expect(messages.map((m) => m.kind)).toEqual(['run.started', 'verify.failed', 'rollback.done', 'run.finished']);
    const check = 'GET /health: status 503, expected 200 (3 attempts, 412 ms, body "upstream \\"db\\" down\\nretry later")';
    expect(messages[1]!.message).toEqual({
      text: `production: verification failed: ${check}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':x: production: verification failed', emoji: true } },
        { type: 'section', fields: [field('Environment', 'production'), commitField, triggerField, field('Verify took', '760 ms')] },
        { type: 'section', text: { type: 'mrkdwn', text: `*GET /health* <https://prod.example.com/health|https://prod.example.com/health>\n${check}` } },
        { type: 'section', fields: [field('Status', '503'), field('Latency', '412 ms'), field('Attempts', '3'), field('Reason', 'status 503, expected 200')] },
        { type: 'section', text: { type: 'mrkdwn', text: 'Body (first 30 characters):\n```upstream "db" down\nretry later```' } },
        contextBlock,
      ],
    });
    expect(messages[2]!.message).toEqual({
      text: `production rolled back: writes after bookmark ${bm} are lost: 1.2 s window; version v41 (was v42); database restored by time travel`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':leftwards_arrow_with_hook: production rolled back', emoji: true } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `:warning: *Writes lost:* writes after bookmark ${bm} are lost: 1.2 s window. Replay them from your logs if they matter.` },
        },
        { type: 'section', text: { type: 'mrkdwn', text: `version v41 (was v42); database restored to bookmark ${bm}` } },
        {
          type: 'section',
          fields: [
            field('Environment', 'production'),
            commitField,
            triggerField,
            field('Rollback took', '1.2 s'),
            field('Bookmark', `\`${bm}\``),
            field('Lost-writes window', '1.2 s'),
            field('Worker version', 'v41 (was v42)'),
          ],
        },
        contextBlock,
      ],
    });
    const finished = messages[3]!.message;
    expect(finished.text).toBe('Promotion rolled back: default → production (staging skipped, production rolled back); exit 3. production failed verification and was rolled back');
    expect(finished.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':leftwards_arrow_with_hook: Promotion rolled back: default → production', emoji: true } });
    for (const { message } of [...messages, ...messagesOf(successRun)]) expectWithinSlackLimits(message);
  });

  it('says what to do when the rollback failed (exit 4)', () => {
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'r1', at: '2026-05-01T12:00:00.000Z', pipeline: 'default', to: 'production', stages: ['production'], dryRun: false, resumed: false },
      { type: 'step.failed', runId: 'r1', at: '2026-05-01T12:00:03.000Z', stage: 'production', step: 'rollback', durationMs: 2500, error: 'wrangler rollback failed:\n  Authentication error [code: 10000]\n' },
      {
        type: 'summary',
        runId: 'r1',
        at: '2026-05-01T12:00:03.000Z',
        result: 'failed',
        exitCode: 4,
        durationMs: 3000,
        stages: [{ environment: 'production', result: 'failed', migrations: ['0002_x.sql'], durationMs: 3000 }],
        action: 'roll back by hand: wrangler rollback v41 --env production, then `promote status`',
      },
    ];
    const messages = messagesOf(events);
    expect(messages.map((m) => m.kind)).toEqual(['run.started', 'rollback.failed', 'run.finished']);
    expect(messages[1]!.message.blocks[0]).toEqual(header(':rotating_light: production: rollback failed. Act now'));
    expect(messages[1]!.message.blocks[1]).toEqual(
      section('*production may be serving a broken version.* What happened:\n```wrangler rollback failed: | Authentication error [code: 10000]```'),
    );
    const finished = messages[2]!.message;
    expect(finished.blocks[1]).toEqual(section(':rotating_light: *Action required:* roll back by hand: wrangler rollback v41 --env production, then `promote status`'));
    expect(finished.text).toContain('Action required: roll back by hand');
  });

  it('keeps a huge run inside every Slack limit', () => {
    const stages = Array.from({ length: 70 }, (_, i) => `env-${i}`);
    const longError = `boom <${'x'.repeat(5000)}> & ${'😀'.repeat(2000)}`;
    const check = (i: number): CheckResult => ({
      ...failingHealth,
      name: `check ${i} ${'n'.repeat(300)}`,
      url: `https://prod.example.com/${'p'.repeat(2500)}`,
      reason: 'r'.repeat(2500),
      attempts: [{ attempt: 1, ok: false, status: 500, latencyMs: 3, bodyExcerpt: '```'.repeat(400) }],
    });
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'r'.repeat(400), at: '2026-05-01T12:00:00.000Z', pipeline: 'p'.repeat(400), to: 'env-69', stages, dryRun: true, resumed: true },
      { type: 'step.failed', runId: 'r', at: '2026-05-01T12:00:01.000Z', stage: 'env-69'.repeat(40), step: 'verify', durationMs: 1, error: longError, detail: { checks: Array.from({ length: 30 }, (_, i) => check(i)) } },
      { type: 'step.failed', runId: 'r', at: '2026-05-01T12:00:01.000Z', stage: 'env-69', step: 'rollback', durationMs: 1, error: longError },
      {
        type: 'summary',
        runId: 'r',
        at: '2026-05-01T12:00:02.000Z',
        result: 'failed',
        exitCode: 4,
        durationMs: 2000,
        stages: stages.map((environment) => ({ environment, result: 'failed' as const, migrations: Array.from({ length: 30 }, (_, i) => `00${i}_${'m'.repeat(40)}.sql`), durationMs: 1 })),
        action: longError,
        message: longError,
      },
    ];
    const big = { ...ctx, actor: 'a'.repeat(3000), pipeline: 'p'.repeat(400) };
    const memory = recallRun(events);
    for (const event of events) {
      const message = buildNotableMessage(event, big, memory)!;
      expect(message).toBeDefined();
      expectWithinSlackLimits(message);
    }
  });

  it('truncates without splitting a surrogate pair, a link, an entity, or leaving a code block open', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('see <https://x.example/abc|the link> now', 20)).toBe('see …');
    expect(truncate('a &amp; b', 5)).toBe('a …');
    const fenced = truncate('x ```code that goes on and on```', 16);
    expect(fenced.length).toBeLessThanOrEqual(16);
    expect(fenced.split('```').length % 2).toBe(1);
    expect(fenced).toBe('x ```code th…```');
  });

  it('clamps fields, context elements and blocks and always keeps a text', () => {
    const many = clampMessage({
      text: ' ',
      blocks: [
        { type: 'section', fields: Array.from({ length: 14 }, (_, i) => ({ type: 'mrkdwn' as const, text: `*f${i}*\nv${i}` })) },
        { type: 'context', elements: Array.from({ length: 12 }, (_, i) => ({ type: 'mrkdwn' as const, text: `c${i}` })) },
        ...Array.from({ length: 60 }, (_, i) => section(`s${i}`)),
      ],
    });
    expect(many.text).toBe('promote');
    expect(many.blocks).toHaveLength(50);
    expect(many.blocks[0]).toMatchObject({ fields: expect.arrayContaining([{ type: 'mrkdwn', text: '*f9*: v9\n*f10*: v10\n*f11*: v11\n*f12*: v12\n*f13*: v13' }]) });
    expect((many.blocks[1] as { elements: unknown[] }).elements).toHaveLength(10);
    expect(many.blocks[49]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '… 13 more blocks left out' }] });
    expectWithinSlackLimits(many);
  });
});

describe('runContextFromEnv', () => {
  it('reads commit, actor, trigger and the CI run URL from GitHub Actions variables', () => {
    expect(
      runContextFromEnv(
        {
          GITHUB_SHA: 'abc1234abc1234abc1234abc1234abc1234abc12',
          GITHUB_ACTOR: 'alice',
          GITHUB_EVENT_NAME: 'workflow_dispatch',
          GITHUB_SERVER_URL: 'https://github.com/',
          GITHUB_REPOSITORY: 'acme/shop',
          GITHUB_RUN_ID: '987',
          GITHUB_RUN_ATTEMPT: '2',
        },
        'default',
      ),
    ).toEqual({
      pipeline: 'default',
      commit: 'abc1234abc1234abc1234abc1234abc1234abc12',
      commitUrl: 'https://github.com/acme/shop/commit/abc1234abc1234abc1234abc1234abc1234abc12',
      actor: 'alice',
      trigger: 'workflow_dispatch',
      ciRunUrl: 'https://github.com/acme/shop/actions/runs/987/attempts/2',
      repository: 'acme/shop',
    });
  });

  it('knows only the pipeline outside CI', () => {
    expect(runContextFromEnv({ GITHUB_ACTOR: ' ' }, 'default')).toEqual({ pipeline: 'default' });
  });
});
