import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, toPromise, type AnyActorRef } from 'xstate';
import {
  ACTOR_NAMES,
  createPromotionMachine,
  stageSteps,
  type PromotionInput,
  type PromotionOutput,
  type StagePlan,
  type StepEmitted,
  type StepInput,
} from '../../../src/machine/promotion-machine.js';

const STAGES: StagePlan[] = [
  { environment: 'dev', bookmark: false },
  { environment: 'staging', bookmark: false },
  { environment: 'production', bookmark: true },
];
const INPUT: PromotionInput = { runId: 'r-1', changeId: 'change-1', stages: STAGES, rollbackPolicy: 'time-travel' };

type Fake = (input: StepInput) => Promise<unknown>;
type Fakes = Partial<Record<(typeof ACTOR_NAMES)[number], Fake>>;

class Boom extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const happy: Record<(typeof ACTOR_NAMES)[number], Fake> = {
  preflight: async () => ({ migrations: ['0002_x.sql'] }),
  lock: async () => undefined,
  backup: async (i) => ({ files: [`/backups/${i.environment}-DB.sql`] }),
  bookmark: async (i) => ({ bookmark: `bm-${i.environment}`, at: 1000 }),
  migrate: async () => ({ migrations: ['0002_x.sql'] }),
  deploy: async (i) => ({ version: `v2-${i.environment}`, previousVersion: `v1-${i.environment}` }),
  verify: async (i) => ({ observedChange: i.changeId }),
  unlock: async () => undefined,
  rollback: async () => ({ detail: { database: 'time-travel', lostWritesWindowMs: 42, workerVersion: 'v1' } }),
};

function provide(fakes: Fakes, calls: string[]) {
  const actors = Object.fromEntries(
    ACTOR_NAMES.map((name) => [
      name,
      fromPromise<unknown, StepInput>(async ({ input }) => {
        calls.push(`${input.environment}:${name}`);
        return (fakes[name] ?? happy[name])(input);
      }),
    ]),
  );
  return createPromotionMachine(STAGES).provide({ actors } as never);
}

async function run(fakes: Fakes = {}, input: PromotionInput = INPUT) {
  const calls: string[] = [];
  const steps: StepEmitted[] = [];
  const actor = createActor(provide(fakes, calls), { input });
  actor.on('step.done', (e: StepEmitted) => steps.push(e));
  actor.start();
  const output = (await toPromise(actor)) as PromotionOutput;
  return { output, calls, steps, actor };
}

const results = (o: PromotionOutput) => o.stages.map((s) => `${s.environment}:${s.result ?? 'skipped'}`);

describe('the promotion machine: success', () => {
  it('walks every stage in order, bookmarking only where asked', async () => {
    const { output, calls, steps } = await run();
    expect(output.outcome).toBe('promoted');
    expect(results(output)).toEqual(['dev:promoted', 'staging:promoted', 'production:promoted']);
    expect(calls).toEqual([
      'dev:preflight', 'dev:lock', 'dev:migrate', 'dev:deploy', 'dev:verify', 'dev:unlock',
      'staging:preflight', 'staging:lock', 'staging:migrate', 'staging:deploy', 'staging:verify', 'staging:unlock',
      'production:preflight', 'production:lock', 'production:bookmark', 'production:migrate', 'production:deploy', 'production:verify', 'production:unlock',
    ]);
    expect(steps.every((s) => s.ok)).toBe(true);
    expect(output.stages[2]).toMatchObject({ bookmark: 'bm-production', migrations: ['0002_x.sql'], workerVersion: 'v2-production', previousWorkerVersion: 'v1-production' });
  });
});

describe('the promotion machine: a failure in each step of each stage', () => {
  for (const [si, stage] of STAGES.entries()) {
    const steps = ['preflight', 'lock', ...(stage.bookmark ? ['bookmark' as const] : []), 'migrate', 'deploy', 'verify'] as const;
    for (const step of steps) {
      it(`${stage.environment}.${step} fails`, async () => {
        const exitCode = step === 'preflight' ? 2 : step === 'lock' ? 3 : 1;
        let failedOnce = false;
        // Fails once: after the rollback the same check (re-verify) passes again.
        const fake: Fake = async (i) => {
          if (i.environment === stage.environment && !failedOnce) {
            failedOnce = true;
            throw new Boom(`${step} broke`, exitCode);
          }
          return happy[step](i);
        };
        const { output, calls, steps: emitted } = await run({ [step]: fake });
        const earlier = STAGES.slice(0, si).map((s) => `${s.environment}:promoted`);
        const later = STAGES.slice(si + 1).map((s) => `${s.environment}:skipped`);
        const rollsBack = ['migrate', 'deploy', 'verify'].includes(step);
        expect(output.outcome).toBe(rollsBack ? 'rolled-back' : 'failed');
        expect(results(output)).toEqual([...earlier, `${stage.environment}:${rollsBack ? 'rolled-back' : 'failed'}`, ...later]);
        expect(output.failure).toMatchObject({ stage: stage.environment, step, message: `${step} broke`, exitCode });
        // later stages are never touched
        for (const s of STAGES.slice(si + 1)) expect(calls.some((c) => c.startsWith(`${s.environment}:`))).toBe(false);
        const here = calls.filter((c) => c.startsWith(`${stage.environment}:`));
        if (rollsBack) expect(here.slice(-3)).toEqual([`${stage.environment}:rollback`, `${stage.environment}:verify`, `${stage.environment}:unlock`]);
        // the lock is released whenever it was taken
        expect(here.includes(`${stage.environment}:unlock`)).toBe(step !== 'preflight' && step !== 'lock');
        expect(emitted.find((e) => !e.ok)).toMatchObject({ stage: stage.environment, step, error: `${step} broke` });
      });
    }
  }
});

describe('the promotion machine: rollback failures', () => {
  it('a failing rollback ends in rollbackFailed, with the lock released', async () => {
    const { output, calls } = await run({
      verify: async (i) => { if (i.environment === 'production') throw new Boom('503'); return { observedChange: i.changeId }; },
      rollback: async () => { throw new Boom('restore refused', 4); },
    });
    expect(output.outcome).toBe('rollback-failed');
    expect(output.failure).toMatchObject({ step: 'verify', message: '503' });
    expect(output.rollbackFailure).toMatchObject({ step: 'rollback', message: 'restore refused' });
    expect(calls.at(-1)).toBe('production:unlock');
    expect(results(output)).toEqual(['dev:promoted', 'staging:promoted', 'production:failed']);
  });

  it('a rollback that does not restore health (re-verify fails) is a rollback failure too', async () => {
    let stagingVerifies = 0;
    const { output, calls } = await run({
      verify: async (i) => {
        if (i.environment !== 'staging') return { observedChange: i.changeId };
        stagingVerifies += 1;
        throw new Boom(stagingVerifies === 1 ? '503' : 'still 503');
      },
    });
    expect(output.outcome).toBe('rollback-failed');
    // Exactly two: the verify that failed, and the one re-verify after the rollback (no retry loop).
    expect(stagingVerifies).toBe(2);
    expect(output.failure).toMatchObject({ stage: 'staging', step: 'verify', message: '503' });
    expect(output.rollbackFailure).toMatchObject({ stage: 'staging', step: 'reverify', message: 'still 503' });
    expect(calls.filter((c) => c.startsWith('staging:')).slice(-4)).toEqual(['staging:verify', 'staging:rollback', 'staging:verify', 'staging:unlock']);
    expect(calls.some((c) => c.startsWith('production:'))).toBe(false);
  });

  it('records the lost-writes window the rollback reports', async () => {
    const { output, steps } = await run({ deploy: async (i) => { if (i.environment === 'production') throw new Boom('deploy failed'); return happy.deploy(i); } });
    expect(output.outcome).toBe('rolled-back');
    expect(output.stages[2]).toMatchObject({ lostWritesWindowMs: 42, bookmark: 'bm-production' });
    expect(steps.find((s) => s.step === 'rollback')).toMatchObject({ ok: true, detail: { database: 'time-travel', lostWritesWindowMs: 42 } });
  });
});

describe('the promotion machine: staging-first gate', () => {
  it('does not enter production when staging verified a different change', async () => {
    const { output, calls } = await run({
      verify: async (i) => ({ observedChange: i.environment === 'staging' ? 'something-else' : i.changeId }),
    });
    expect(output.outcome).toBe('failed');
    expect(output.failure?.message).toContain('staging verified a different change');
    expect(calls.some((c) => c.startsWith('production:'))).toBe(false);
    expect(calls).toContain('staging:unlock');
  });
});

describe('the promotion machine: timeouts on a simulated clock', () => {
  it('a hung deploy times out and rolls back', async () => {
    const clock = new SimulatedClock();
    const calls: string[] = [];
    const machine = provide({ deploy: (i) => (i.environment === 'dev' ? new Promise(() => {}) : happy.deploy(i)) }, calls).provide({
      delays: { stepTimeout: 5_000 },
    });
    const actor = createActor(machine, { input: INPUT, clock });
    actor.start();
    await waitForCall(calls, 'dev:deploy');
    clock.increment(4_999);
    await tick();
    expect(calls).not.toContain('dev:rollback');
    clock.increment(1);
    const output = (await toPromise(actor)) as PromotionOutput;
    expect(output.outcome).toBe('rolled-back');
    expect(output.failure).toMatchObject({ stage: 'dev', step: 'deploy' });
    expect(output.failure?.message).toContain('step timeout');
  });
});

describe('the promotion machine: persist and resume from every state', () => {
  it('restores a snapshot taken after each transition and finishes the same way', async () => {
    // Record snapshots of a full successful run.
    const calls: string[] = [];
    const snapshots: unknown[] = [];
    const actor = createActor(provide({}, calls), { input: INPUT });
    actor.subscribe(() => snapshots.push(JSON.parse(JSON.stringify(actor.getPersistedSnapshot()))));
    actor.start();
    await toPromise(actor);
    expect(snapshots.length).toBeGreaterThan(15);
    for (const snapshot of snapshots) {
      const resumedCalls: string[] = [];
      const resumed: AnyActorRef = createActor(provide({}, resumedCalls), { snapshot: snapshot as never, input: INPUT });
      resumed.start();
      const output = (await toPromise(resumed)) as PromotionOutput;
      expect(output.outcome).toBe('promoted');
      expect(results(output)).toEqual(['dev:promoted', 'staging:promoted', 'production:promoted']);
      // production always ends verified and unlocked
      if (resumedCalls.length > 0) expect(resumedCalls.at(-1)).toBe('production:unlock');
    }
  });

  it('re-runs the in-flight step after a restore (steps must be idempotent)', async () => {
    const calls: string[] = [];
    let snap: unknown;
    const actor = createActor(provide({ migrate: (i) => (i.environment === 'staging' ? new Promise(() => {}) : happy.migrate(i)) }, calls), { input: INPUT });
    actor.subscribe(() => (snap = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()))));
    actor.start();
    await waitForCall(calls, 'staging:migrate');
    actor.stop();
    const resumedCalls: string[] = [];
    const resumed = createActor(provide({}, resumedCalls), { snapshot: snap as never, input: INPUT });
    resumed.start();
    const output = (await toPromise(resumed)) as PromotionOutput;
    expect(output.outcome).toBe('promoted');
    expect(resumedCalls[0]).toBe('staging:migrate');
  });
});

async function tick(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

async function waitForCall(calls: string[], call: string): Promise<void> {
  for (let i = 0; i < 200 && !calls.includes(call); i++) await tick();
  expect(calls).toContain(call);
}

describe('gradual rollout through the verify step', () => {
  const rolloutStep = (percentage: number, ok: boolean) => ({ percentage, newVersion: 'v2', oldVersion: 'v1', ok, durationMs: 1, checks: [] });
  it('records each step on the stage; a failure at 10% rolls back, and the reverify is marked so it runs no rollout', async () => {
    const verifyInputs: StepInput[] = [];
    const { output } = await run({
      verify: async (i) => {
        verifyInputs.push(i);
        if (i.environment === 'staging' && !i.reverify) {
          throw Object.assign(new Boom('rollout of staging failed at 10%'), { detail: { rollout: [rolloutStep(0, true), rolloutStep(10, false)] } });
        }
        return { observedChange: i.changeId, detail: i.reverify ? {} : { rollout: [rolloutStep(0, true), rolloutStep(100, true)] } };
      },
    });
    expect(output.outcome).toBe('rolled-back');
    expect(output.stages[0]!.rollout).toEqual([{ percentage: 0, ok: true }, { percentage: 100, ok: true }]);
    expect(output.stages[1]!.rollout).toEqual([{ percentage: 0, ok: true }, { percentage: 10, ok: false }]);
    expect(verifyInputs.filter((i) => i.environment === 'staging').map((i) => i.reverify ?? false)).toEqual([false, true]);
  });
});

describe('the promotion machine: a stage with backup: true', () => {
  const stages: StagePlan[] = [{ environment: 'production', bookmark: true, backup: true }];
  async function runBackup(fakes: Fakes) {
    const calls: string[] = [];
    const steps: StepEmitted[] = [];
    const actors = Object.fromEntries(
      ACTOR_NAMES.map((name) => [
        name,
        fromPromise<unknown, StepInput>(async ({ input }) => {
          calls.push(`${input.environment}:${name}`);
          return (fakes[name] ?? happy[name])(input);
        }),
      ]),
    );
    const actor = createActor(createPromotionMachine(stages).provide({ actors } as never), { input: { ...INPUT, stages } });
    actor.on('step.done', (e: StepEmitted) => steps.push(e));
    actor.start();
    return { output: (await toPromise(actor)) as PromotionOutput, calls, steps };
  }

  it('backs up after the lock and before the bookmark and the migration; the stage keeps the files', async () => {
    const { output, calls, steps } = await runBackup({});
    expect(calls).toEqual(['production:preflight', 'production:lock', 'production:backup', 'production:bookmark', 'production:migrate', 'production:deploy', 'production:verify', 'production:unlock']);
    expect(output.stages[0]).toMatchObject({ result: 'promoted', backups: ['/backups/production-DB.sql'] });
    expect(steps.find((s) => s.step === 'backup')).toMatchObject({ ok: true, detail: { backups: ['/backups/production-DB.sql'] } });
    expect(stageSteps(stages[0]!)).toEqual(['preflight', 'lock', 'backup', 'bookmark', 'migrate', 'deploy', 'verify', 'unlock']);
  });

  it('a backup that does not verify stops the stage before anything changed: no migration, no rollback, the lock released', async () => {
    const { output, calls } = await runBackup({ backup: async () => { throw new Boom('table notes: 41 row(s) in the dump, 42 in the header'); } });
    expect(output.outcome).toBe('failed');
    expect(output.failure).toMatchObject({ step: 'backup', message: 'table notes: 41 row(s) in the dump, 42 in the header' });
    expect(calls).toEqual(['production:preflight', 'production:lock', 'production:backup', 'production:unlock']);
  });
});
