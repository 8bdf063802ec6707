import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { annotateProblems, createActionsSink, createActionsSinkFromEnv, maskSecrets } from '../../../src/notify/github/actions-sink.js';
import { createPlainSink } from '../../../src/notify/plain-sink.js';
import { fanOut } from '../../../src/notify/fan-out.js';
import { recordingOutput, rollbackRun, successRun } from '../notify/runs.js';
import { ctx } from '../slack/slack-fixtures.js';
import { parseOutputFile } from './github-files.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function setup(secrets: string[] = []) {
  dir = mkdtempSync(join(tmpdir(), 'promote-actions-'));
  const summaryFile = join(dir, 'summary.md');
  const outputFile = join(dir, 'output');
  const output = recordingOutput(false);
  const warnings: string[] = [];
  const actions = createActionsSink({ write: output.out, context: ctx, redact: (t) => t, secrets, summaryFile, outputFile, onWarning: (w) => warnings.push(w) });
  // Before the terminal sink, as documented: groups open before a stage's first line.
  const sink = fanOut([actions, createPlainSink(output)], (_, e) => warnings.push(String(e)));
  return { sink, lines: output.lines, summaryFile, outputFile, warnings };
}

describe('GitHub Actions sink', () => {
  it('masks secrets first, groups each stage with its own lines, and ends with summary and outputs', () => {
    const { sink, lines, summaryFile, outputFile, warnings } = setup(['tok-123456']);
    for (const e of successRun) sink.write(e);
    expect(lines[0]).toBe('::add-mask::tok-123456');
    const shape = lines.map((l) => (l.startsWith('::') ? l : l.replace(/^\[[^\]]*\] /, '').split(/\s+/).slice(0, 2).join(' ')));
    expect(shape).toEqual([
      '::add-mask::tok-123456',
      'run run-20260501-abc',
      '::group::staging',
      'staging migrate',
      'staging migrate',
      'staging deploy',
      'staging deploy',
      'staging verify',
      'staging verify',
      'staging finished',
      '::endgroup::',
      '::group::production',
      'production migrate',
      'production migrate',
      'production finished',
      '::endgroup::',
      'summary: promoted',
    ]);
    expect(readFileSync(summaryFile, 'utf8')).toContain('## ✅ promote: promoted · default → production');
    expect(parseOutputFile(readFileSync(outputFile, 'utf8'))).toMatchObject({ result: 'promoted', 'exit-code': '0', 'bookmark-staging': 'bm-1', 'run-id': 'run-20260501-abc' });
    expect(warnings).toEqual([]);
  });

  it('annotates a failed check and the lost writes of a rollback, escaped for the runner', () => {
    const { sink, lines } = setup();
    for (const e of rollbackRun) sink.write(e);
    expect(lines.filter((l) => /^::(error|warning)/.test(l))).toEqual([
      '::error title=production%3A verify failed::GET /health: status 503, expected 200 (3 attempts, 412 ms, body "upstream \\"db\\" down\\nretry later")',
      '::warning title=production rolled back::writes after bookmark 00000085-0000-4e5b-8000-00000000abcd are lost: 1.2 s window',
    ]);
  });

  it('annotates problems at their file and line', () => {
    const lines: string[] = [];
    annotateProblems(
      [
        { severity: 'error', code: 'E_DUP', message: 'two files, 50% the same:\nsee both', file: 'migrations/0002_a,b.sql', line: 3 },
        { severity: 'warning', code: 'W_DROP_TABLE', message: 'drops a table', file: 'migrations/0003.sql', hint: 'copy it first' },
      ],
      (l) => lines.push(l),
    );
    expect(lines).toEqual([
      '::error file=migrations/0002_a%2Cb.sql,line=3,title=E_DUP::E_DUP: two files, 50%25 the same:%0Asee both',
      '::warning file=migrations/0003.sql,title=W_DROP_TABLE::W_DROP_TABLE: drops a table%0Afix: copy it first',
    ]);
  });

  it('is there only inside GitHub Actions', () => {
    const options = { write: () => undefined, context: ctx, redact: (t: string) => t, onWarning: () => undefined };
    expect(createActionsSinkFromEnv({}, options)).toBeUndefined();
    expect(createActionsSinkFromEnv({ GITHUB_ACTIONS: 'true' }, options)).toBeDefined();
    const masks: string[] = [];
    maskSecrets(['abcd', 'abcd', 'x%y'], (l) => masks.push(l));
    expect(masks).toEqual(['::add-mask::abcd', '::add-mask::x%25y']);
  });
});
