/** WorkerVersionStore on temp dirs: deploy, idempotency, rollback, history and crash leftovers. */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunError } from '../../../src/errors.js';
import { writeJsonAtomic } from '../../../src/atomic-write.js';
import type { WorkerBuild } from '../../../src/targets/local/worker-build.js';
import { WorkerVersionStore } from '../../../src/targets/local/worker-versions.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function build(code: string, vars: Record<string, string> = {}): WorkerBuild {
  return {
    main: 'app/worker.js',
    code,
    codeHash: `sha256:${code.length.toString(16).padStart(64, '0')}-${code}`,
    configHash: `sha256:${JSON.stringify(vars)}`,
    compatibilityDate: '2026-04-01',
    compatibilityFlags: [],
    vars,
  };
}

async function store(): Promise<WorkerVersionStore> {
  const root = await mkdtemp(join(tmpdir(), 'promote-worker-versions-'));
  return new WorkerVersionStore(join(root, '.promote/envs/staging/workers'));
}

describe('WorkerVersionStore', () => {
  it('reads an empty store as no current version and no deployments', async () => {
    const s = await store();
    expect(await s.current()).toBeUndefined();
    expect(await s.deployments()).toEqual([]);
    expect(await s.previousOf('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('records a first deploy with no previous version, code beside the version', async () => {
    const s = await store();
    const result = await s.deploy(build('export default {};', { ENVIRONMENT: 'staging' }), { runId: 'run-1' });
    expect(result.unchanged).toBe(false);
    expect(result.previous).toBeUndefined();
    expect(result.version.id).toMatch(UUID_V4);
    expect(result.version).toMatchObject({ runId: 'run-1', main: 'app/worker.js', vars: { ENVIRONMENT: 'staging' } });
    expect(await s.current()).toEqual(result.version);
    expect(await s.get(result.version.id)).toEqual(result.version);
    expect(await s.code(result.version.id)).toBe('export default {};');
    expect((await readdir(join(s.dir, 'versions', result.version.id))).sort()).toEqual(['version.json', 'worker.js']);
    expect(await s.deployments()).toEqual([
      expect.objectContaining({ versionId: result.version.id, runId: 'run-1', message: 'Deploy' }),
    ]);
  });

  it('makes a new version for new code, with the first as previous', async () => {
    const s = await store();
    const first = await s.deploy(build('v1'), { runId: 'run-1' });
    const second = await s.deploy(build('v2'), { runId: 'run-2', message: 'ship v2' });
    expect(second.unchanged).toBe(false);
    expect(second.version.id).not.toBe(first.version.id);
    expect(second.previous).toEqual(first.version);
    expect((await s.current())?.id).toBe(second.version.id);
    expect(await s.previousOf(second.version.id)).toEqual(first.version);
    expect((await s.deployments()).at(-1)?.message).toBe('ship v2');
  });

  it('makes a new version when only the config changes', async () => {
    const s = await store();
    const first = await s.deploy(build('v1', { A: '1' }), { runId: 'run-1' });
    const second = await s.deploy(build('v1', { A: '2' }), { runId: 'run-2' });
    expect(second.unchanged).toBe(false);
    expect(second.previous?.id).toBe(first.version.id);
  });

  it('records nothing when the same build already serves', async () => {
    const s = await store();
    const first = await s.deploy(build('v1'), { runId: 'run-1' });
    const second = await s.deploy(build('v2'), { runId: 'run-2' });
    const again = await s.deploy(build('v2'), { runId: 'run-3' });
    expect(again).toEqual({ version: second.version, previous: first.version, unchanged: true });
    expect(await s.deployments()).toHaveLength(2);
    expect(await readdir(join(s.dir, 'versions'))).toHaveLength(2);
  });

  it('rolls back by deploying an earlier version again', async () => {
    const s = await store();
    const first = await s.deploy(build('v1'), { runId: 'run-1' });
    const second = await s.deploy(build('v2'), { runId: 'run-2' });
    const rolled = await s.rollbackTo(first.version.id, { runId: 'run-2' });
    expect(rolled).toEqual(first.version);
    expect(await s.current()).toEqual(first.version);
    // The deployment that made v1 current again came after v2.
    expect(await s.previousOf(first.version.id)).toEqual(second.version);
    expect(await s.previousOf(second.version.id)).toEqual(first.version);
    expect(await s.code(first.version.id)).toBe('v1');
    expect((await s.deployments()).map((d) => [d.versionId, d.message, d.runId])).toEqual([
      [first.version.id, 'Deploy', 'run-1'],
      [second.version.id, 'Deploy', 'run-2'],
      [first.version.id, 'Rollback', 'run-2'],
    ]);
  });

  it('does not record a rollback to the version that already serves', async () => {
    const s = await store();
    await s.deploy(build('v1'), { runId: 'run-1' });
    const second = await s.deploy(build('v2'), { runId: 'run-2' });
    expect(await s.rollbackTo(second.version.id, { runId: 'run-3', message: 'undo' })).toEqual(second.version);
    expect(await s.deployments()).toHaveLength(2);
  });

  it('keeps deployments oldest first with unique ids', async () => {
    const s = await store();
    const ids = [];
    for (const code of ['a', 'b', 'c']) ids.push((await s.deploy(build(code), { runId: `run-${code}` })).version.id);
    const deployments = await s.deployments();
    expect(deployments.map((d) => d.versionId)).toEqual(ids);
    expect(new Set(deployments.map((d) => d.id)).size).toBe(3);
    for (const d of deployments) expect(d.id).toMatch(UUID_V4);
    const times = deployments.map((d) => Date.parse(d.createdAt));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });

  it('refuses to roll back to an unknown version, with a hint and nothing recorded', async () => {
    const s = await store();
    await s.deploy(build('v1'), { runId: 'run-1' });
    for (const id of ['4b0e3f5a-2c1d-4e6f-9a8b-7c6d5e4f3a2b', '../../etc']) {
      const error = await s.rollbackTo(id, { runId: 'run-2' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunError);
      expect((error as RunError).message).toContain(id);
      expect((error as RunError).hint).toMatch(/deployments\.json|deploy/);
    }
    expect(await s.deployments()).toHaveLength(1);
  });

  it('ignores temp files a crashed write left behind', async () => {
    const s = await store();
    const first = await s.deploy(build('v1'), { runId: 'run-1' });
    await writeFile(join(s.dir, `.deployments.json.999.abc.tmp`), '[{"id": "torn');
    await writeFile(join(s.dir, 'versions', first.version.id, '.version.json.999.abc.tmp'), '{"id":');
    // A crash between writing a version and recording its deployment: an unreferenced version.
    await mkdir(join(s.dir, 'versions', 'a0e3f5a2-2c1d-4e6f-9a8b-7c6d5e4f3a2b'));
    await writeFile(join(s.dir, 'versions', 'a0e3f5a2-2c1d-4e6f-9a8b-7c6d5e4f3a2b', '.worker.js.1.x.tmp'), 'export');
    expect(await s.current()).toEqual(first.version);
    expect(await s.deployments()).toHaveLength(1);
    const second = await s.deploy(build('v2'), { runId: 'run-2' });
    expect(second.previous).toEqual(first.version);
    expect(JSON.parse(await readFile(join(s.dir, 'deployments.json'), 'utf8'))).toHaveLength(2);
  });

  it('writes JSON atomically, leaving no temp file after success', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promote-atomic-'));
    await writeJsonAtomic(join(dir, 'nested/x.json'), { a: 1 });
    await writeJsonAtomic(join(dir, 'nested/x.json'), { a: 2 });
    expect(await readdir(join(dir, 'nested'))).toEqual(['x.json']);
    expect(JSON.parse(await readFile(join(dir, 'nested/x.json'), 'utf8'))).toEqual({ a: 2 });
  });

  it('reports a damaged deployments.json as a RunError saying what to do', async () => {
    const s = await store();
    await mkdir(s.dir, { recursive: true });
    await writeFile(join(s.dir, 'deployments.json'), '{"not": "a list"}');
    const error = await s.current().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunError);
    expect((error as RunError).hint).toBeTruthy();
  });
});

describe('WorkerVersionStore: gradual deployments', () => {
  it('uploads without deploying (reusing a version of the same build), splits, and rolls back to the old version alone', async () => {
    const s = await store();
    const v1 = (await s.deploy(build('export default { v: 1 };'), { runId: 'run-1' })).version;
    const v2 = await s.upload(build('export default { v: 2 };'), { runId: 'run-2' });
    expect((await s.upload(build('export default { v: 2 };'), { runId: 'run-3' })).id).toBe(v2.id);
    expect(await s.currentSplit()).toEqual([{ versionId: v1.id, percentage: 100 }]);

    await s.deploySplit(v2.id, v1.id, 0, { runId: 'run-2' });
    await s.deploySplit(v2.id, v1.id, 0, { runId: 'run-2' }); // already serving: nothing written
    await s.deploySplit(v2.id, v1.id, 10, { runId: 'run-2' });
    expect(await s.currentSplit()).toEqual([{ versionId: v2.id, percentage: 10 }, { versionId: v1.id, percentage: 90 }]);
    // The larger share is what "current" means while two versions serve.
    expect((await s.current())?.id).toBe(v1.id);

    // v1 has the larger share but does not serve alone: the rollback is still written.
    await s.rollbackTo(v1.id, { runId: 'run-2', message: 'rollback' });
    expect(await s.currentSplit()).toEqual([{ versionId: v1.id, percentage: 100 }]);
    const history = (await s.deployments()).map((d) => (d.split ?? [{ versionId: d.versionId, percentage: 100 }]).map((v) => `${v.versionId === v1.id ? 'v1' : 'v2'}@${v.percentage}`).join(' '));
    expect(history).toEqual(['v1@100', 'v2@0 v1@100', 'v2@10 v1@90', 'v1@100']);
  });

  it('deploys the new version alone at 100%', async () => {
    const s = await store();
    const v1 = (await s.deploy(build('export default { v: 1 };'), { runId: 'run-1' })).version;
    const v2 = await s.upload(build('export default { v: 2 };'), { runId: 'run-2' });
    await s.deploySplit(v2.id, v1.id, 50, { runId: 'run-2' });
    await s.deploySplit(v2.id, v1.id, 100, { runId: 'run-2' });
    expect(await s.currentSplit()).toEqual([{ versionId: v2.id, percentage: 100 }]);
    expect((await s.current())?.id).toBe(v2.id);
    // v2 had the larger share from 90% on: the version before it is still v1.
    await s.deploySplit(v2.id, v1.id, 90, { runId: 'run-3' });
    await s.deploySplit(v2.id, v1.id, 100, { runId: 'run-3' });
    expect((await s.previousOf(v2.id))?.id).toBe(v1.id);
  });
});
