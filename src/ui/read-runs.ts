/**
 * Reads the run history under .promote/runs/ for the dashboard, tolerating what a
 * crash or a run in another process leaves: a journal whose last line is cut off,
 * a run folder without run.json yet, a run.json being replaced. Whatever cannot be
 * read is reported next to what could, never thrown.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../events/run-events.js';
import { readJournal } from '../notify/journal-sink.js';
import { journalPath, listRuns, runDir, type RunRecord } from '../runs/run-store.js';

export interface RunFiles {
  runId: string;
  events: RunEvent[];
  /** run.json, when it exists and parses. */
  record?: Pick<RunRecord, 'status' | 'to' | 'updatedAt' | 'exitCode'> & { triggeredBy?: string };
  /** Things that could not be read, in words for a person. */
  unreadable: string[];
  /** Journal size in bytes: a cheap change detector for the live view. */
  journalBytes: number;
  /** When the journal last changed (epoch ms). */
  journalMtimeMs?: number;
  /** The last line has no newline: the writer stopped mid-line (or is writing it right now). */
  tornTail: boolean;
}

export function readRunFiles(root: string, runId: string): RunFiles {
  const unreadable: string[] = [];
  const path = journalPath(root, runId);
  let events: RunEvent[] = [];
  let journalBytes = 0;
  let journalMtimeMs: number | undefined;
  let tornTail = false;
  if (existsSync(path)) {
    try {
      const st = statSync(path);
      journalBytes = st.size;
      journalMtimeMs = st.mtimeMs;
      const text = readFileSync(path, 'utf8');
      tornTail = text.length > 0 && !text.endsWith('\n');
      events = readJournal(path, (n) => unreadable.push(`${n} journal line${n === 1 ? '' : 's'} could not be read (cut off by a crash mid-write?)`));
    } catch (e) {
      unreadable.push(`journal: ${(e as Error).message}`);
    }
  } else {
    unreadable.push('no journal yet');
  }
  const runFile = join(runDir(root, runId), 'run.json');
  let record: RunFiles['record'];
  if (existsSync(runFile)) {
    try {
      const r = JSON.parse(readFileSync(runFile, 'utf8')) as RunRecord & { triggeredBy?: string };
      record = {
        status: r.status,
        to: r.to,
        updatedAt: r.updatedAt,
        ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
        ...(r.triggeredBy ? { triggeredBy: r.triggeredBy } : {}),
      };
    } catch (e) {
      unreadable.push(`run.json: ${(e as Error).message}`);
    }
  }
  return { runId, events, ...(record ? { record } : {}), unreadable, journalBytes, ...(journalMtimeMs !== undefined ? { journalMtimeMs } : {}), tornTail };
}

/** Newest first; at most `limit` runs. */
export function readRunHistory(root: string, limit = 500): RunFiles[] {
  return listRuns(root)
    .slice(0, limit)
    .map((id) => readRunFiles(root, id));
}
