import { describe, expect, it } from 'vitest';
import { createJsonSink } from '../../../src/notify/json-sink.js';
import { rollbackRun, successRun } from './runs.js';

function play(events = successRun): string[] {
  const lines: string[] = [];
  const sink = createJsonSink((line) => lines.push(line));
  for (const event of events) sink.write(event);
  return lines;
}

describe('json sink', () => {
  it('writes one parseable JSON object per line per event, values exactly as given', () => {
    const lines = play(rollbackRun);
    expect(lines).toHaveLength(rollbackRun.length);
    for (const line of lines) expect(line).not.toContain('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(rollbackRun);
  });

  it('ends with the summary, its keys led by type, result, runId and stages', () => {
    const last = play().at(-1)!;
    expect(last).toBe(
      '{"type":"summary","result":"promoted","runId":"run-20260501-abc","stages":[' +
        '{"environment":"staging","result":"promoted","bookmark":"bm-1","migrations":["0002_x.sql","0003_y.sql","0004_z.sql"],"durationMs":700,"workerVersion":"v42"},' +
        '{"environment":"production","result":"promoted","migrations":[],"durationMs":90}],' +
        '"at":"2026-05-01T12:00:00.820Z","exitCode":0,"durationMs":820}',
    );
  });

  it('puts type first on every other event too', () => {
    for (const line of play()) expect(line.startsWith('{"type":')).toBe(true);
    expect(play()[7]).toBe('{"type":"stage.finished","result":"promoted","runId":"run-20260501-abc","at":"2026-05-01T12:00:00.710Z","stage":"staging","durationMs":700}');
  });

  it('writes nothing after the summary, so the last line stays the outcome', () => {
    const lines = play([...successRun, successRun[1]!]);
    expect(lines).toHaveLength(successRun.length);
    expect(JSON.parse(lines.at(-1)!).type).toBe('summary');
  });
});
