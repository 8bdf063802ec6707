/**
 * The Block Kit subset our messages use, and Slack's limits. Builders may produce
 * anything; `clampMessage` is the one place that makes a message acceptable to
 * Slack, so a long error or a pipeline of 40 stages degrades into a shorter
 * message instead of an `invalid_blocks` rejection.
 */

export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  blocks: 50,
  /** Slack truncates `text` at 40,000; a notification preview needs far less. */
  fallbackText: 4000,
} as const;

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export type HeaderBlock = { type: 'header'; text: PlainText };
export type SectionBlock = { type: 'section'; text?: Mrkdwn; fields?: Mrkdwn[] };
export type ContextBlock = { type: 'context'; elements: Mrkdwn[] };
export type DividerBlock = { type: 'divider' };
export type Block = HeaderBlock | SectionBlock | ContextBlock | DividerBlock;

/** What we send: `text` is the notification and screen-reader fallback, never omitted. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export const header = (text: string): HeaderBlock => ({ type: 'header', text: { type: 'plain_text', text, emoji: true } });
export const mrkdwn = (text: string): Mrkdwn => ({ type: 'mrkdwn', text });
export const section = (text: string): SectionBlock => ({ type: 'section', text: mrkdwn(text) });
export const context = (texts: readonly string[]): ContextBlock => ({ type: 'context', elements: texts.map(mrkdwn) });

/** A label/value pair as a section field; pairs with an empty value are left out. */
export function fields(pairs: readonly (readonly [string, string | undefined])[]): SectionBlock | undefined {
  const present = pairs.filter(([, value]) => value !== undefined && value !== '');
  if (present.length === 0) return undefined;
  return { type: 'section', fields: present.map(([label, value]) => mrkdwn(`*${label}*\n${value}`)) };
}

/** Escape the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link in mrkdwn; the label is escaped, the URL must not contain `|` or `>`. */
export function link(url: string, label: string): string {
  return `<${url.replace(/[|>]/g, encodeURIComponent)}|${escapeMrkdwn(label)}>`;
}

/** Code span content cannot hold a backtick; a body excerpt can. */
export function codeBlock(text: string): string {
  return '```' + text.replace(/```/g, 'ˋˋˋ') + '```';
}

/**
 * Cut `text` to at most `max` characters (UTF-16 units, as Slack counts them) with an
 * ellipsis, never splitting a surrogate pair, a `<link|label>` or an `&entity;`, and
 * closing a code block the cut left open.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  const fence = '```';
  const openFence = (t: string): boolean => (t.split(fence).length - 1) % 2 === 1;
  const cut = safeCut(text, max - 1);
  if (!openFence(cut)) return `${cut}…`;
  if (max - 1 - fence.length < 0) return '…';
  // An open code block: make room for its closing fence.
  const shorter = safeCut(text, max - 1 - fence.length);
  return openFence(shorter) ? `${shorter}…${fence}` : `${shorter}…`;
}

function safeCut(text: string, length: number): string {
  let cut = text.slice(0, length);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  const amp = cut.lastIndexOf('&');
  if (amp > cut.lastIndexOf(';') && amp >= cut.length - 6) cut = cut.slice(0, amp);
  return cut;
}

/** The message as Slack will accept it: every limit enforced, `text` always present. */
export function clampMessage(message: SlackMessage): SlackMessage {
  const blocks = message.blocks.map(clampBlock).filter((b): b is Block => b !== undefined);
  const limited =
    blocks.length <= SLACK_LIMITS.blocks
      ? blocks
      : [...blocks.slice(0, SLACK_LIMITS.blocks - 1), context([`… ${blocks.length - SLACK_LIMITS.blocks + 1} more blocks left out`])];
  const text = message.text.trim() === '' ? 'promote' : message.text;
  return { text: truncate(text, SLACK_LIMITS.fallbackText), blocks: limited };
}

function clampBlock(block: Block): Block | undefined {
  switch (block.type) {
    case 'header': {
      const text = truncate(block.text.text.replace(/\s+/g, ' ').trim(), SLACK_LIMITS.headerText);
      return text === '' ? undefined : header(text);
    }
    case 'section': {
      const text = block.text && block.text.text !== '' ? mrkdwn(truncate(block.text.text, SLACK_LIMITS.sectionText)) : undefined;
      const all = (block.fields ?? []).filter((f) => f.text !== '');
      // A field over the limit is cut; fields over the count are folded into the last one.
      let kept = all.map((f) => mrkdwn(truncate(f.text, SLACK_LIMITS.fieldText)));
      if (kept.length > SLACK_LIMITS.fields) {
        const rest = all.slice(SLACK_LIMITS.fields - 1).map((f) => f.text.replace(/\n/g, ': '));
        kept = [...kept.slice(0, SLACK_LIMITS.fields - 1), mrkdwn(truncate(rest.join('\n'), SLACK_LIMITS.fieldText))];
      }
      if (!text && kept.length === 0) return undefined;
      return { type: 'section', ...(text ? { text } : {}), ...(kept.length > 0 ? { fields: kept } : {}) };
    }
    case 'context': {
      const elements = block.elements.filter((e) => e.text !== '');
      if (elements.length === 0) return undefined;
      const kept = elements.length <= SLACK_LIMITS.contextElements ? elements : [...elements.slice(0, SLACK_LIMITS.contextElements - 1), mrkdwn(elements.slice(SLACK_LIMITS.contextElements - 1).map((e) => e.text).join(' · '))];
      return { type: 'context', elements: kept.map((e) => mrkdwn(truncate(e.text, SLACK_LIMITS.contextText))) };
    }
    case 'divider':
      return block;
  }
}
