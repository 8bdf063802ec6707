/**
 * The example fleet workflow and action.yml: the workflow parses and orders its jobs with
 * `needs` (stages -> shard 1 -> shards 2..n -> production -> merged report), its shards are
 * 1..n exactly once, and the action takes `shard` and gives `runs`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../../helpers/project.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
  name?: string;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix?: { shard?: number[] } };
  steps: Step[];
}

const workflow = parse(readFileSync(join(REPO, 'examples/fleet/.github/workflows/promote-fleet.yml'), 'utf8')) as { jobs: Record<string, Job> };
const needs = (job: Job | undefined): string[] => (job?.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const promoteStep = (job: Job): Step => job.steps.find((s) => s.uses === './')!;

/** Every job that must have finished before `name` may start. */
function ancestors(name: string): Set<string> {
  const out = new Set<string>();
  const visit = (n: string) => {
    for (const d of needs(workflow.jobs[n])) if (!out.has(d)) (out.add(d), visit(d));
  };
  visit(name);
  return out;
}

describe('examples/fleet promote-fleet.yml', () => {
  const { jobs } = workflow;

  it('single-database stages, then shard 1 (canaries), then shards 2..n, then the Worker, then the merge', () => {
    expect(promoteStep(jobs.stages!).with).toMatchObject({ to: 'staging' });
    expect(needs(jobs['shard-1'])).toEqual(['stages']);
    expect(promoteStep(jobs['shard-1']!).with).toMatchObject({ to: 'production', shard: '1/4' });
    // the others start only after shard 1: the canaries ran before any of them
    expect(needs(jobs.shards)).toEqual(['shard-1']);
    expect(ancestors('shards')).toEqual(new Set(['stages', 'shard-1']));
    expect(ancestors('production')).toEqual(new Set(['stages', 'shard-1', 'shards']));
    expect(ancestors('report')).toEqual(new Set(['stages', 'shard-1', 'shards', 'production']));
    expect(jobs.report!.if).toBe('always()');
    expect(jobs.shards!.strategy?.['fail-fast']).toBe(false);
  });

  it('the shards are 1..n, each once, and every job uploads its report for the merge', () => {
    const matrix = jobs.shards!.strategy!.matrix!.shard!;
    const n = matrix.length + 1;
    expect([1, ...matrix]).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const shardWith = promoteStep(jobs.shards!).with!;
    expect(shardWith.shard).toBe(`\${{ matrix.shard }}/${n}`);
    expect(promoteStep(jobs['shard-1']!).with!.shard).toBe(`1/${n}`);
    for (const name of ['stages', 'shard-1', 'shards', 'production']) {
      const job = jobs[name]!;
      const report = String(promoteStep(job).with!.report);
      const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
      expect(upload.with!.path).toBe(report);
      expect(String(upload.with!.name)).toMatch(/^report-/);
    }
    const merge = jobs.report!.steps;
    expect(merge.find((s) => s.uses?.startsWith('actions/download-artifact'))!.with).toMatchObject({ pattern: 'report-*', 'merge-multiple': true, path: 'reports' });
    expect(merge.find((s) => s.run)!.run).toMatch(/report --merge reports\/\*\.json/);
  });
});

describe('action.yml: shard in, runs out', () => {
  const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    outputs: Record<string, { value: string }>;
    runs: { steps: Step[] };
  };

  it('declares the shard and report inputs and the runs output', () => {
    expect(action.inputs.shard).toMatchObject({ default: '' });
    expect(action.inputs.report).toMatchObject({ default: '' });
    expect(action.outputs.runs!.value).toBe('${{ steps.promote.outputs.runs }}');
  });

  it('passes shard as --shard through env, never as ${{ }} inside the script', () => {
    const step = action.runs.steps.find((s) => s.name === 'Promote')!;
    expect(step.env!.PROMOTE_SHARD).toBe('${{ inputs.shard }}');
    expect(step.run).toContain('args+=(--shard "$PROMOTE_SHARD")');
    expect(step.run).toContain('args+=(--report "$PROMOTE_REPORT")');
    expect(step.run).not.toMatch(/\$\{\{/);
  });
});
