/**
 * promote's own writers make what they create under .promote/ owner-only (0700 folders,
 * 0600 files) under any umask, here the most permissive one (0), and narrow a .promote/
 * an older version left wider. In-process: the run store, the journal, atomic writes
 * (Worker versions and deployments), the environment lock.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJournalSink } from '../../../src/notify/journal-sink.js';
import { saveRun } from '../../../src/runs/run-store.js';
import { writeJsonAtomic } from '../../../src/atomic-write.js';
import { lockEnvironment } from '../../../src/targets/local/environment-lock.js';

let root: string;
let umask: number;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'promote-modes-'));
  umask = process.umask(0);
});
afterEach(async () => {
  process.umask(umask);
  await rm(root, { recursive: true, force: true });
});

/** Path under root -> octal mode, for everything under .promote/ and .promote itself. */
function modes(): Record<string, string> {
  const base = join(root, '.promote');
  const out: Record<string, string> = { '.promote': (statSync(base).mode & 0o777).toString(8) };
  for (const p of readdirSync(base, { recursive: true, encoding: 'utf8' })) out[`.promote/${p}`] = (statSync(join(base, p)).mode & 0o777).toString(8);
  return out;
}

describe('files under .promote/ are owner-only whatever the umask', () => {
  it('run record, journal, atomic writes, lock file', async () => {
    const runId = 'r-20260101T000000Z-abcdef';
    saveRun(root, { machineVersion: 1, runId, to: 'dev', input: { runId, changeId: 'c', stages: [], rollbackPolicy: 'none' }, status: 'running', updatedAt: 'now', snapshot: null });
    createJournalSink(join(root, '.promote', 'runs', runId, 'journal.ndjson')).write({ type: 'run.started', runId, pipeline: 'p', stages: ['dev'], at: 'now' } as never);
    await writeJsonAtomic(join(root, '.promote', 'envs', 'dev', 'workers', 'deployments.json'), []);
    const unlock = await lockEnvironment(join(root, '.promote', 'envs', 'dev', 'promote.lock'), { environment: 'dev', waitMs: 0 });
    const seen = modes();
    unlock();
    expect(Object.keys(seen).sort()).toEqual([
      '.promote',
      '.promote/envs',
      '.promote/envs/dev',
      '.promote/envs/dev/promote.lock',
      '.promote/envs/dev/workers',
      '.promote/envs/dev/workers/deployments.json',
      '.promote/runs',
      `.promote/runs/${runId}`,
      `.promote/runs/${runId}/journal.ndjson`,
      `.promote/runs/${runId}/run.json`,
    ]);
    for (const [path, mode] of Object.entries(seen)) expect(mode, path).toBe(path.endsWith('.json') || path.endsWith('.ndjson') || path.endsWith('.lock') ? '600' : '700');
  });

  it('a .promote/ left wider by an older version is narrowed on the next write', () => {
    mkdirSync(join(root, '.promote', 'runs'), { recursive: true, mode: 0o755 });
    chmodSync(join(root, '.promote'), 0o755);
    saveRun(root, { machineVersion: 1, runId: 'r-1', to: 'dev', input: { runId: 'r-1', changeId: 'c', stages: [], rollbackPolicy: 'none' }, status: 'running', updatedAt: 'now', snapshot: null });
    expect(modes()).toMatchObject({ '.promote': '700', '.promote/runs': '700', '.promote/runs/r-1': '700', '.promote/runs/r-1/run.json': '600' });
  });
});
