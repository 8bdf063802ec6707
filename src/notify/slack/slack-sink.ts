/**
 * From `notify.slack` to a sink: bot mode when a token is set, webhook mode when a
 * webhook is, nothing when neither is (an empty ${VAR:-} switches Slack off).
 */
import { createSlackBotSink } from './bot-sink.js';
import type { SlackNotifyConfig } from '../../config/slack-config.js';
import { createSlackWebhookSink, type NotifierSink, type SlackSinkCommonOptions } from './webhook-sink.js';

export type SlackSinkOptions = Omit<SlackSinkCommonOptions, 'on' | 'timeoutMs'>;

export function createSlackSink(config: SlackNotifyConfig, options: SlackSinkOptions): NotifierSink | undefined {
  const common = { ...options, timeoutMs: config.timeout };
  if (config.token && config.channel) return createSlackBotSink({ ...common, token: config.token, channel: config.channel, apiUrl: config.apiUrl });
  if (config.webhook) return createSlackWebhookSink({ ...common, url: config.webhook, on: config.on });
  return undefined;
}
