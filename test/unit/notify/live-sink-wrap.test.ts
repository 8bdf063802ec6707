/** The live view wraps long lines (the rollback story) instead of cutting them, measured in terminal columns. */
import stringWidth from 'string-width';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLiveSink } from '../../../src/notify/live-sink.js';
import { recordingOutput } from './runs.js';

const linesOf = (write: string): string[] =>
  write
    .replace(/\u001b\[\d*[AJ]/g, '')
    .split('\n')
    .slice(0, -1)
    .map((l) => l.replace(/\u001b\[2K/g, ''));
const stripColor = (s: string): string => s.replace(/\u001b\[\d+m/g, '');

describe('live sink wrapping', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.parse('2026-05-01T12:00:00.000Z') }));
  afterEach(() => vi.useRealTimers());

  it('keeps the whole rollback story, wrapped within the width, wide characters counted as two columns', () => {
    const writes: string[] = [];
    const term = { columns: 40, rows: 40, write: (s: string) => void writes.push(s) };
    const sink = createLiveSink(recordingOutput(true), { stream: term });
    const at = '2026-05-01T12:00:01.000Z';
    sink.write({ type: 'run.started', runId: 'r', at, pipeline: 'p', to: 'staging', stages: ['staging'], dryRun: false, resumed: false } as never);
    sink.write({ type: 'step.started', runId: 'r', at, stage: 'staging', step: 'rollback' });
    const story = 'the Worker had no earlier version to go back to: version 21377777-6e6f-48ba-bad3-b2bd0ad60254, this run\'s, still serves 本番環境 🚀';
    sink.write({ type: 'step.succeeded', runId: 'r', at, stage: 'staging', step: 'rollback', durationMs: 12, detail: { message: story } } as never);
    sink.close?.();
    const frame = linesOf(writes.at(-1)!).map(stripColor);
    for (const row of frame) expect(stringWidth(row), row).toBeLessThanOrEqual(39);
    // nothing cut: the story is on screen whole (a word longer than a row is split across rows)
    const joined = frame.join('').replace(/\s+/g, '');
    expect(joined, frame.join('\n')).toContain(story.replace(/\s+/g, ''));
    expect(joined).not.toContain('…');
  });
});
