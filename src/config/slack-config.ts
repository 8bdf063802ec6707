/**
 * `notify.slack` in pipeline/pipeline.yaml. Values pass through ${VAR} expansion
 * first, so the webhook URL and token stay in the environment:
 *
 *   notify:
 *     slack:
 *       webhook: ${SLACK_WEBHOOK_URL:-}      # incoming-webhook mode; empty = off
 *       # or bot mode: token: ${SLACK_BOT_TOKEN}  channel: C0123ABCD
 *       on: [verify.failed, rollback.done, rollback.failed, run.finished]
 *       timeout: 10s
 *
 * Kept free of I/O imports: the config schema imports this module. It takes the
 * Duration schema as an argument instead of importing src/config/schema.ts, which
 * would make an import cycle once schema.ts imports this file:
 *
 *   notify: z.strictObject({ slack: createSlackNotifySchema(Duration).optional() }).optional()
 */
import { z } from 'zod';
/** The transitions a Slack message can be posted for (the notify.slack.on values). */
export const NOTABLE_KINDS = ['run.started', 'stage.promoted', 'verify.failed', 'rollback.done', 'rollback.failed', 'run.finished'] as const;
export type NotableKind = (typeof NOTABLE_KINDS)[number];

const Url = z.url({ protocol: /^https?$/, error: 'expected an https:// URL' });

/** `duration`: src/config/schema.ts's Duration ("10s", "500ms" or milliseconds -> ms). */
export function createSlackNotifySchema(duration: z.ZodType<number, number | string>) {
  return z
  .strictObject({
    /** Incoming webhook URL. An empty string (an unset ${VAR:-}) turns Slack off. */
    webhook: z.union([z.literal(''), Url]).optional(),
    /** Bot token (xoxb-…) with chat:write; needs `channel`. Takes precedence over `webhook`. */
    token: z.string().optional(),
    /** Channel id or name for bot mode. */
    channel: z.string().min(1).optional(),
    /** Which transitions to post (webhook mode; bot mode threads every step). */
    on: z.array(z.enum(NOTABLE_KINDS)).min(1).default([...NOTABLE_KINDS]),
    /** Time budget per message, retries included; also how long the end of the run waits for Slack. */
    timeout: duration.default(10_000),
    /** Slack Web API base URL, for a proxy or a test double. */
    apiUrl: Url.default('https://slack.com/api'),
  })
  .superRefine((value, ctx) => {
    if (value.token && !value.channel) ctx.addIssue({ code: 'custom', path: ['channel'], message: 'bot mode (token) needs a channel to post to' });
    if (value.channel && value.token === undefined && !value.webhook) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'channel is only used with a bot token; set token or remove channel' });
    }
  });
}

export type SlackNotifyConfig = z.output<ReturnType<typeof createSlackNotifySchema>>;
