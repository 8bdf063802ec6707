/** What Slack and GitHub sinks share: a RunSink whose write() never blocks and whose close() returns by its deadline. */
import type { RunEvent, RunSink } from '../events/run-events.js';

export interface NotifierSink extends RunSink {
  write(event: RunEvent): void;
  /** Resolves when everything queued so far is sent or given up on (tests, mostly). */
  drain(): Promise<void>;
  close(): Promise<void>;
}
