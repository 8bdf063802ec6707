/**
 * `--json`: one JSON object per line per event, so a script can stream-parse the run
 * and read the outcome from the last line. Values are written exactly as given; only
 * the key order is fixed (type, result, runId, stages, then the rest) so the summary
 * line starts with what a human skimming the log, or a `head -c`, wants to see.
 */
import type { RunEvent, RunSink } from '../events/run-events.js';

const LEADING_KEYS = ['type', 'result', 'runId', 'stages'] as const;

/** `out` receives a line without its newline, as `Output.out` expects. */
export function createJsonSink(out: (line: string) => void): RunSink {
  let summarized = false;
  return {
    write(event) {
      // The contract is "the last line is the summary": anything after it would break readers that take the last line.
      if (summarized) return;
      if (event.type === 'summary') summarized = true;
      out(JSON.stringify(withLeadingKeys(event)));
    },
  };
}

function withLeadingKeys(event: RunEvent): Record<string, unknown> {
  const source = event as unknown as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of LEADING_KEYS) if (key in source) ordered[key] = source[key];
  for (const [key, value] of Object.entries(source)) if (!(key in ordered)) ordered[key] = value;
  return ordered;
}
