import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJournalSink, readJournal } from '../../../src/notify/journal-sink.js';
import { rollbackRun, successRun } from './runs.js';

const tempJournal = (): string => join(mkdtempSync(join(tmpdir(), 'promote-journal-')), 'runs', 'run-1', 'journal.jsonl');

describe('run journal', () => {
  it('creates its folders, appends one line per event and reads them back', () => {
    const path = tempJournal();
    const sink = createJournalSink(path);
    for (const event of successRun) sink.write(event);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(successRun.length + 1);
    let skipped: number | undefined;
    expect(readJournal(path, (n) => (skipped = n))).toEqual(successRun);
    expect(skipped).toBeUndefined();
  });

  it('skips a torn last line and says how many lines it skipped', () => {
    const path = tempJournal();
    const sink = createJournalSink(path);
    for (const event of successRun.slice(0, 3)) sink.write(event);
    appendFileSync(path, JSON.stringify(successRun[3]).slice(0, 25)); // the crash
    const skipped: number[] = [];
    expect(readJournal(path, (n) => skipped.push(n))).toEqual(successRun.slice(0, 3));
    expect(skipped).toEqual([1]);
  });

  it('seals a torn line before a resumed run appends, so no later event is lost', () => {
    const path = tempJournal();
    const first = createJournalSink(path);
    first.write(successRun[0]!);
    appendFileSync(path, '{"type":"step.sta');
    const resumed = createJournalSink(path);
    for (const event of rollbackRun) resumed.write(event);
    const skipped: number[] = [];
    expect(readJournal(path, (n) => skipped.push(n))).toEqual([successRun[0], ...rollbackRun]);
    expect(skipped).toEqual([1]);
  });

  it('skips lines that parse but are not events', () => {
    const path = tempJournal();
    createJournalSink(path).write(successRun[0]!);
    appendFileSync(path, '42\n{"type":"x"}\n');
    let skipped = 0;
    expect(readJournal(path, (n) => (skipped = n))).toEqual([successRun[0]]);
    expect(skipped).toBe(2);
  });

  it('reads an empty journal as no events', () => {
    const path = tempJournal();
    createJournalSink(path);
    writeFileSync(path, '');
    expect(readJournal(path)).toEqual([]);
  });
});
