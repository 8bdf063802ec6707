/**
 * The run journal: every event appended as one JSON line to a file beside the run's
 * state. It is what `promote status` and a resume read after a crash, so it must hold
 * every transition the machine has made.
 */
import { appendFileSync, chmodSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent, RunSink } from '../events/run-events.js';
import { makePrivateDirSync, PRIVATE_FILE, PRIVATE_FILE_MODE } from '../private-files.js';

export function createJournalSink(path: string): RunSink {
  makePrivateDirSync(dirname(path));
  // A journal resumed from an older version's run may have been created wider.
  if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
  sealTornLine(path);
  return {
    write(event) {
      // Synchronous on purpose: the machine moves to its next transition right after write()
      // returns, so the line must already be in the file (the OS page cache) by then. An async
      // append could still be queued when the process crashes or exits — the journal would then
      // miss a step that did happen (a migration applied, a version deployed) and a resume would
      // act on a false history. One appendFileSync per event is one write(2) with O_APPEND; we
      // do not fsync, so a process crash loses nothing, and a power loss at most the tail, which
      // readJournal tolerates.
      appendFileSync(path, `${JSON.stringify(event)}\n`, PRIVATE_FILE);
    },
  };
}

/**
 * A crash mid-write leaves a line without its newline. Resuming appends to the same
 * journal, so end that line first; otherwise the next event would be glued onto the
 * torn fragment and be lost with it.
 */
function sealTornLine(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) appendFileSync(path, '\n');
  } finally {
    closeSync(fd);
  }
}

/**
 * Every event in the journal, in order. A line that does not parse as an event is what
 * a crash mid-write leaves (the final line, or an earlier one sealed when the run
 * resumed); it is skipped, and `onSkipped` is told how many lines were.
 */
export function readJournal(path: string, onSkipped?: (count: number) => void): RunEvent[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const events: RunEvent[] = [];
  let skipped = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const event = parseEvent(line);
    if (event) events.push(event);
    else skipped += 1;
  }
  if (skipped > 0) onSkipped?.(skipped);
  return events;
}

function parseEvent(line: string): RunEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, runId } = value as Record<string, unknown>;
  return typeof type === 'string' && typeof runId === 'string' ? (value as RunEvent) : undefined;
}
