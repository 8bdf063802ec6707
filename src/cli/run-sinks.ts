/**
 * Which sinks a run feeds: the terminal (live view on a TTY, plain lines
 * otherwise, JSON lines with --json) and the run journal, every event
 * redacted first so no secret reaches any of them.
 */
import type { RunSink } from '../machine/events.js';
import { fanOut } from '../notify/fan-out.js';
import { createJournalSink } from '../notify/journal-sink.js';
import { createJsonSink } from '../notify/json-sink.js';
import { createLiveSink } from '../notify/live-sink.js';
import { createPlainSink } from '../notify/plain-sink.js';
import { redactEvent } from '../notify/redact.js';
export { secretsFrom } from '../notify/secrets.js';
import type { Output } from './output.js';

export function createRunSinks(output: Output, journal: string, redact: (s: string) => string): RunSink {
  const terminal = output.json ? createJsonSink((line) => output.out(line)) : output.interactive ? createLiveSink(output) : createPlainSink(output);
  const inner = fanOut([terminal, createJournalSink(journal)], (i, error) =>
    output.err(`promote: warning: ${i === 0 ? 'terminal' : 'journal'} output failed: ${(error as Error)?.message ?? String(error)}`),
  );
  return {
    write: (event) => inner.write(redactEvent(event, redact)),
    close: () => inner.close?.(),
  };
}
