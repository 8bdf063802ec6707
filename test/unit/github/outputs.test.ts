import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendOutputs, buildOutputs, formatOutputs } from '../../../src/notify/github/outputs.js';
import { rollbackRun, successRun } from '../notify/runs.js';
import { parseOutputFile } from './github-files.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('step outputs', () => {
  it('names the result, run, exit code and per stage the bookmark and worker version', () => {
    expect(buildOutputs(successRun)).toEqual({
      'run-id': 'run-20260501-abc',
      result: 'promoted',
      'exit-code': '0',
      'result-staging': 'promoted',
      'bookmark-staging': 'bm-1',
      'worker-version-staging': 'v42',
      'result-production': 'promoted',
    });
    expect(buildOutputs(rollbackRun)).toMatchObject({
      result: 'rolled-back',
      'exit-code': '3',
      'result-staging': 'skipped',
      'result-production': 'rolled-back',
      'bookmark-production': '00000085-0000-4e5b-8000-00000000abcd',
      'worker-version-production': 'v41',
    });
  });

  it('uses the heredoc form with a delimiter that is not in the value', () => {
    const ids = ['EOF', 'EOF', 'X1'];
    const text = formatOutputs({ message: 'line 1\nEOF\nline 3' }, () => ids.shift()!);
    expect(text).toBe('message<<X1\nline 1\nEOF\nline 3\nX1\n');
  });

  it('appends a file the runner parses back to the same outputs, even with hostile values', () => {
    dir = mkdtempSync(join(tmpdir(), 'promote-out-'));
    const file = join(dir, 'output');
    appendOutputs(file, { earlier: 'kept' });
    const hostile = { ...buildOutputs(rollbackRun), note: 'a=b\nresult<<EOF\npromoted\nEOF' };
    appendOutputs(file, hostile);
    expect(parseOutputFile(readFileSync(file, 'utf8'))).toEqual({ earlier: 'kept', ...hostile });
  });
});

describe('the runs output', () => {
  const entry = (i: number, result: 'applied' | 'failed') => ({ environment: 'production', database: 'DB', tenant: `tenant-${String(i).padStart(6, '0')}`, result, migrations: ['0001_init.sql', '0002_users_email.sql'] });

  it('is every entry as JSON', () => {
    const runs = [entry(1, 'applied'), entry(2, 'failed')];
    expect(buildOutputs(successRun, runs)).toMatchObject({ runs: JSON.stringify(runs), 'runs-complete': 'true' });
  });

  it("over GitHub's 1 MB, only the entries to act on, and says so", () => {
    const runs = Array.from({ length: 12_000 }, (_, i) => entry(i, i % 1000 === 7 ? 'failed' : 'applied'));
    const out = buildOutputs(successRun, runs);
    expect(out['runs-complete']).toBe('false');
    expect(out.runs!.length).toBeLessThan(1_000_000);
    expect((JSON.parse(out.runs!) as { tenant: string }[]).map((e) => e.tenant)).toEqual(runs.filter((r) => r.result === 'failed').map((r) => r.tenant));
  });
});
