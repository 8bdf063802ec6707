import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckSchema, RolloutSchema, type HealthCheck } from '../../../src/config/schema.js';
import type { TrafficSplit, WorkerRollout } from '../../../src/targets/environment-handle.js';
import { checksForStep, resumeIndex, servesStep, walkRollout } from '../../../src/engine/rollout-steps.js';

const check = (extra: Record<string, unknown> = {}): HealthCheck => HealthCheckSchema.parse({ url: '/health', retries: 0, ...extra });
const rollout = RolloutSchema.parse({ steps: [0, 10, 50, 100], soak: '200ms' });
const OVERRIDE = 'Cloudflare-Workers-Version-Overrides';

describe('rollout config', () => {
  it('accepts ascending steps ending at 100 and refuses the others with the reason', () => {
    expect(RolloutSchema.parse({ steps: [0, 10, 50, 100], soak: '30s' })).toEqual({ steps: [0, 10, 50, 100], soak: 30_000 });
    expect(RolloutSchema.parse({ steps: [100] }).soak).toBe(0);
    const messages = (input: unknown) => RolloutSchema.safeParse(input).error?.issues.map((i) => i.message) ?? [];
    expect(messages({ steps: [0, 50, 10, 100] })).toEqual(['steps must ascend: 10 follows 50']);
    expect(messages({ steps: [0, 10, 50] })).toEqual(['the last step must be 100 (got 50), so the new version ends up serving everything']);
    expect(messages({ steps: [0, 150] }).length).toBeGreaterThan(0);
    expect(messages({ steps: [0, 12.5, 100] })).toEqual(['expected a whole percentage']);
    expect(messages({ steps: [] })).toContain('a rollout needs at least one step');
  });
});

describe('the checks of one step', () => {
  const step = { newVersion: 'new-id', oldVersion: 'old-id' };
  it('sends unpinned checks to the new version at 0% and lets the split route them later', () => {
    const [at0] = checksForStep([check()], rollout, { ...step, percentage: 0 }, 'app-production');
    expect(at0!.headers).toEqual({ [OVERRIDE]: 'app-production="new-id"' });
    const [at10] = checksForStep([check()], rollout, { ...step, percentage: 10 }, 'app-production');
    expect(at10!.headers).toEqual({});
  });

  it('honours version pins, keeps the check headers, soaks at least the rollout soak, and drops old pins once old is gone', () => {
    const checks = [check({ version: 'new', headers: { authorization: 'Bearer x' } }), check({ version: 'old', soak: '1s' })];
    const at50 = checksForStep(checks, rollout, { ...step, percentage: 50 }, 'w');
    expect(at50.map((c) => c.headers)).toEqual([{ authorization: 'Bearer x', [OVERRIDE]: 'w="new-id"' }, { [OVERRIDE]: 'w="old-id"' }]);
    expect(at50.map((c) => c.soak)).toEqual([200, 1000]);
    expect(checksForStep(checks, rollout, { ...step, percentage: 100 }, 'w')).toHaveLength(1);
  });
});

describe('where a (resumed) rollout stands', () => {
  const split = (versions: TrafficSplit['versions']): TrafficSplit => ({ versions });
  it('starts at the step the new version serves now', () => {
    expect(resumeIndex([0, 10, 50, 100], split([{ id: 'old', percentage: 100 }]), 'new')).toBe(0);
    expect(resumeIndex([0, 10, 50, 100], split([{ id: 'new', percentage: 10 }, { id: 'old', percentage: 90 }]), 'new')).toBe(1);
    expect(resumeIndex([0, 10, 50, 100], split([{ id: 'new', percentage: 30 }, { id: 'old', percentage: 70 }]), 'new')).toBe(2);
    expect(resumeIndex([0, 10, 50, 100], split([{ id: 'new', percentage: 100 }]), 'new')).toBe(3);
  });

  it('knows whether a split is exactly a step', () => {
    const s = { percentage: 10, newVersion: 'n', oldVersion: 'o' };
    expect(servesStep(split([{ id: 'n', percentage: 10 }, { id: 'o', percentage: 90 }]), s)).toBe(true);
    expect(servesStep(split([{ id: 'n', percentage: 0 }, { id: 'o', percentage: 100 }]), s)).toBe(false);
    expect(servesStep(split([{ id: 'n', percentage: 10 }, { id: 'x', percentage: 90 }]), s)).toBe(false);
    expect(servesStep(split([{ id: 'n', percentage: 100 }]), { ...s, percentage: 100 })).toBe(true);
    expect(servesStep(split([{ id: 'o', percentage: 100 }]), { ...s, percentage: 0 })).toBe(false);
  });
});

describe('walkRollout against a real HTTP server', () => {
  let server: Server;
  let base: string;
  /** The version the "deployment" answers for: by override header, else the larger share. */
  let split: TrafficSplit;
  let failNew = false;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const header = String(req.headers['cloudflare-workers-version-overrides'] ?? '');
      const version = /="([^"]+)"/.exec(header)?.[1] ?? [...split.versions].sort((a, b) => b.percentage - a.percentage)[0]!.id;
      seen.push(version);
      res.writeHead(failNew && version === 'new' ? 503 : 200).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const worker = (deployed: string[]): WorkerRollout => ({
    scriptName: 'app',
    split: async () => split,
    upload: async () => ({ version: 'new' }),
    deploySplit: async ({ newVersion, oldVersion, percentage }) => {
      deployed.push(`${newVersion}@${percentage}`);
      split = { versions: oldVersion && percentage < 100 ? [{ id: newVersion, percentage }, { id: oldVersion, percentage: 100 - percentage }] : [{ id: newVersion, percentage: 100 }] };
    },
  });
  const fast = RolloutSchema.parse({ steps: [0, 10, 50, 100], soak: 0 });

  it('resumes where the real split stands, without deploying a step again', async () => {
    split = { versions: [{ id: 'new', percentage: 10 }, { id: 'old', percentage: 90 }] };
    failNew = false;
    const deployed: string[] = [];
    const progress: number[] = [];
    const out = await walkRollout({ rollout: fast, worker: worker(deployed), checks: [check()], baseUrl: base, runId: 'r', newVersion: 'new', oldVersion: 'old', verify: {}, onStep: (s) => progress.push(s.percentage) });
    expect(out.ok).toBe(true);
    expect(progress).toEqual([10, 50, 100]);
    expect(deployed).toEqual(['new@50', 'new@100']);
  });

  it('stops at the first failing step and reports every step taken', async () => {
    split = { versions: [{ id: 'old', percentage: 100 }] };
    failNew = true;
    seen.length = 0;
    const deployed: string[] = [];
    const out = await walkRollout({ rollout: fast, worker: worker(deployed), checks: [check({ version: 'new' })], baseUrl: base, runId: 'r', newVersion: 'new', oldVersion: 'old', verify: {}, onStep: () => undefined });
    expect(out.ok).toBe(false);
    expect(out.steps.map((s) => [s.percentage, s.ok])).toEqual([[0, false]]);
    expect(deployed).toEqual(['new@0']);
    expect(seen).toEqual(['new']);
  });
});
