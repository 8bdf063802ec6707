/**
 * Secrets (API tokens, bindings' values) can surface in a wrangler error or a health
 * check body. Every event is redacted before any sink sees it, so the terminal, the
 * journal, --json and Slack can never disagree about what leaked.
 */
import type { RunEvent } from '../events/run-events.js';

/** Shorter secrets would blank out ordinary words and numbers all over the log. */
const MIN_SECRET_LENGTH = 4;

export function createRedactor(secrets: readonly string[]): (text: string) => string {
  // Longest first: when one secret contains another, the whole of the longer one goes.
  // A secret in a URL is shown percent-encoded (URL.href): that spelling is the same secret.
  const spelled = secrets.flatMap((s) => [s, encodeURIComponent(s), encodeURI(s)]);
  const usable = [...new Set(spelled.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  if (usable.length === 0) return (text) => text;
  const pattern = new RegExp(usable.map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, '***');
}

/** A copy of the event with `redact` applied to every string in it, however deep. */
export function redactEvent<E extends RunEvent>(event: E, redact: (text: string) => string): E {
  return redactValue(event, redact) as E;
}

function redactValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, redact)]));
  }
  return value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
