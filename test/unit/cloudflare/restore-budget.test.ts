import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RestoreBudget } from '../../../src/targets/cloudflare/restore-budget.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'restore-budget-'));
  dirs.push(dir);
  return dir;
}

const DB = { id: '11111111-2222-4333-8444-555555555555', label: 'production/DB' };
const OTHER = { id: '99999999-2222-4333-8444-555555555555', label: 'production/AUDIT' };

describe('Time Travel restores counted per database, across runs', () => {
  it('the 11th restore within 10 minutes is refused before trying, with the time the next one is possible', async () => {
    const root = await project();
    let now = Date.parse('2026-12-01T10:00:00Z');
    for (let i = 0; i < 10; i++) {
      // a new instance per restore: each stands for another run reading .promote/ afresh
      const budget = RestoreBudget.inProject(root, () => now);
      await budget.check([DB]);
      await budget.record(DB.id);
      now += 30_000;
    }
    const later = RestoreBudget.inProject(root, () => now);
    const error = await later.check([DB]).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain('Time Travel allows 10 restores per 10 minutes per database');
    expect(error!.message).toContain('production/DB was restored 10 times');
    expect(error!.message).toContain('next restore is possible at 2026-12-01T10:10:00.000Z (in 300 s)');
    expect(error!.message).toContain('nothing was restored');
    // another database has its own count; several databases are checked together before any restore
    await later.check([OTHER]);
    await expect(later.check([OTHER, DB])).rejects.toThrow(/production\/DB/);
    // once the oldest restore leaves the window, one more is allowed
    now = Date.parse('2026-12-01T10:10:00.001Z');
    await RestoreBudget.inProject(root, () => now).check([DB]);
    const stored = JSON.parse(await readFile(join(root, '.promote', 'time-travel-restores.json'), 'utf8')) as Record<string, number[]>;
    expect(stored[DB.id]).toHaveLength(10);
  });

  it('a missing or unreadable log counts as no restores', async () => {
    const root = await project();
    await RestoreBudget.inProject(root).check([DB]);
  });

  it('restores of many tenants recorded at once by one budget all land in the log (a fleet rollback)', async () => {
    const root = await project();
    const budget = RestoreBudget.inProject(root);
    const ids = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(8, '0')}-2222-4333-8444-555555555555`);
    await Promise.all(ids.map((id) => budget.record(id)));
    const stored = JSON.parse(await readFile(join(root, '.promote', 'time-travel-restores.json'), 'utf8')) as Record<string, number[]>;
    expect(Object.keys(stored).sort()).toEqual(ids);
    for (const id of ids) expect(stored[id]).toHaveLength(1);
  });
});
