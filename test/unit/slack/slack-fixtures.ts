/** The run context and Block Kit limit checks the Slack tests share. */
import { expect } from 'vitest';
import type { Block, SlackMessage } from '../../../src/notify/slack/block-kit.js';
import type { RunContext } from '../../../src/notify/run-context.js';

export const SHA = '0123456789abcdef0123456789abcdef01234567';

export const ctx: RunContext = {
  pipeline: 'default',
  commit: SHA,
  commitUrl: `https://github.com/acme/shop/commit/${SHA}`,
  actor: 'alice',
  trigger: 'push',
  ciRunUrl: 'https://github.com/acme/shop/actions/runs/42',
  repository: 'acme/shop',
};

export const contextBlock = {
  type: 'context',
  elements: [
    { type: 'mrkdwn', text: 'pipeline *default*' },
    { type: 'mrkdwn', text: 'run `run-20260501-abc`' },
    { type: 'mrkdwn', text: 'acme/shop' },
    { type: 'mrkdwn', text: '<https://github.com/acme/shop/actions/runs/42|CI run>' },
  ],
};

export const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${label}*\n${value}` });
export const commitField = field('Commit', `<https://github.com/acme/shop/commit/${SHA}|0123456>`);
export const triggerField = field('Triggered by', 'alice via push');

/** Every limit Slack enforces on a message, plus our rule that `text` is always there. */
export function expectWithinSlackLimits(message: SlackMessage): void {
  expect(typeof message.text).toBe('string');
  expect(message.text.trim().length).toBeGreaterThan(0);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  for (const block of message.blocks as Block[]) {
    if (block.type === 'header') {
      expect(block.text.type).toBe('plain_text');
      expect(block.text.text.length).toBeLessThanOrEqual(150);
    }
    if (block.type === 'section') {
      expect(block.text !== undefined || (block.fields?.length ?? 0) > 0).toBe(true);
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(10);
      for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    if (block.type === 'context') {
      expect(block.elements.length).toBeGreaterThan(0);
      expect(block.elements.length).toBeLessThanOrEqual(10);
    }
  }
}
