/**
 * Version targets on target: cloudflare (fake API, real CLI): `migrate --to`
 * and `rollback --to`, with the requests counted. The undos are packed into
 * batches exactly like the migrate path packs the migrations, so a rollback
 * of the same files sends as many write requests as their migrate did; a
 * refusal sends none; a SIGKILL mid-way is finished by the rerun.
 */
import type { Server } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { D1Connection } from '../../src/d1/connection.js';
import { CREATE_LOCK_SQL } from '../../src/ledger/lease.js';
import { readFingerprint } from '../../src/ledger/schema-read.js';
import { startFakeCloudflare, type FakeCloudflare } from '../fake-cloudflare/server.js';
import { CF_ENVS, cloudflareEnvFile, cloudflareProjectFiles, promoteCloudflare, startHealthServer } from '../helpers/cloudflare-project.js';
import { startCli } from '../helpers/cli-process.js';
import { cleanupProjects, makeProject } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

interface World {
  fake: FakeCloudflare;
  health: Server;
  healthBase: string;
  uuids: Record<string, string>;
}
const worlds: World[] = [];

async function world(opts: { querySplit?: 'sqlite' | 'line-semicolons' } = {}): Promise<World> {
  const fake = await startFakeCloudflare({ token: 'cf-versions-token-7a6b5c4d3e', ...opts });
  const uuids: Record<string, string> = {};
  for (const env of CF_ENVS) uuids[env] = (await fake.addDatabase(`app-${env}`)).uuid;
  const { server: health, base: healthBase } = await startHealthServer(fake, uuids);
  const w = { fake, health, healthBase, uuids };
  worlds.push(w);
  return w;
}

afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await new Promise((r) => w.health.close(r));
    await w.fake.close();
  }
});
afterAll(cleanupProjects);

const name = (i: number) => `${String(i).padStart(4, '0')}_t${i}.sql`;
/** Over a third of the 100 KB batch budget: two of them share a batch, three do not. */
const pad = (bytes: number, tag: string) => `SELECT '${'x'.repeat(bytes)}' AS pad_${tag};\n`;

/** 0001 creates notes (the health checks read /notes/1), 0002.. tables t2..; every file with a rollback file. */
function files(w: World, count: number, o: { forwardPad?: number; rollbackPad?: number; withoutRollback?: number[] } = {}): Record<string, string> {
  const notesCheck = `  - url: \${HEALTH_BASE}/dev/notes/1\n    timeout: 2s\n    retries: 0\n    expect:\n      status: 200\n`;
  const out: Record<string, string> = {
    ...cloudflareProjectFiles(w, {}),
    'environments/dev.yaml': cloudflareEnvFile('dev', notesCheck),
    'migrations/0001_t1.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO notes (id, body) VALUES (1, \'first\');\n',
    'migrations/rollback/0001_t1.rollback.sql': 'DROP TABLE notes;\n',
  };
  for (let i = 2; i <= count; i++) {
    out[`migrations/${name(i)}`] = `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, v TEXT);\nCREATE INDEX idx_t${i}_v ON t${i}(v);\n${o.forwardPad ? pad(o.forwardPad, `f${i}`) : ''}`;
    if (!o.withoutRollback?.includes(i)) out[`migrations/rollback/${name(i).replace(/\.sql$/, '.rollback.sql')}`] = `${o.rollbackPad ? pad(o.rollbackPad, `r${i}`) : ''}DROP INDEX idx_t${i}_v;\nDROP TABLE t${i};\n`;
  }
  return out;
}

const ledger = async (w: World, env: string) => ((await w.fake.database(w.uuids[env]!).query('SELECT name FROM d1_migrations ORDER BY id')) as { name: string }[]).map((r) => r.name);

/** The fake's database behind the D1Connection seam, one statement at a time (for reading the schema fingerprint). */
function fakeConnection(w: World, env: string): D1Connection {
  const db = w.fake.database(w.uuids[env]!);
  return {
    label: env,
    async batch(statements) {
      const out = [];
      for (const s of statements) out.push({ results: await db.query(s.sql, [...(s.params ?? [])]), meta: { duration: 0, changes: 0 } });
      return out;
    },
  };
}
const fingerprint = (w: World, env: string) => readFingerprint(fakeConnection(w, env), ['d1_migrations']);

/** POST /query requests to this database since `from` whose SQL holds `marker`. */
function writes(w: World, env: string, from: number, marker: string): number {
  return w.fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path.endsWith(`/d1/database/${w.uuids[env]}/query`) && r.body.includes(marker)).length;
}
const UNDO = 'DELETE FROM \\"d1_migrations\\"';
const APPLY = 'INSERT INTO \\"d1_migrations\\"';

describe('version targets on target: cloudflare', () => {
  it('migrate --to and rollback --to: the undos in as many requests as their migrate, exact schema, then exit 4 when the checks fail', { timeout: 300_000 }, async () => {
    const w = await world();
    const root = await makeProject(files(w, 4, { forwardPad: 40_000, rollbackPad: 40_000 }));
    const cli = (args: string[]) => promoteCloudflare(w, root, args);

    const first = await cli(['migrate', '--env', 'dev', '--to', '0001', '--json']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(lastJson(first.stdout)).toMatchObject({ to: '0001', databases: [{ applied: ['0001_t1.sql'], pending: [name(2), name(3), name(4)], requests: 1 }] });
    expect((await cli(['migrate', '--env', 'staging', '--to', '0001'])).code).toBe(0);

    let from = w.fake.requests.length;
    const up = await cli(['migrate', '--env', 'dev', '--to', '0004', '--json']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(lastJson(up.stdout)).toMatchObject({ databases: [{ applied: [name(2), name(3), name(4)], requests: 2 }] });
    const migrateWrites = writes(w, 'dev', from, APPLY);
    expect(migrateWrites).toBe(2);

    from = w.fake.requests.length;
    const down = await cli(['rollback', '--env', 'dev', '--to', '0001', '--json']);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(lastJson(down.stdout)).toMatchObject({ type: 'rollback', to: '0001', ok: true, databases: [{ undone: [name(4), name(3), name(2)], kept: ['0001_t1.sql'], requests: 2 }] });
    // Three undos, each with its ledger and metadata rows, in the two requests their migrate took.
    expect(writes(w, 'dev', from, UNDO)).toBe(migrateWrites);
    const sent = w.fake.requests.slice(from).filter((r) => r.path.includes(`/d1/database/${w.uuids.dev}/`)).length;
    console.log(`rollback --to 0001 of 3 migrations: ${writes(w, 'dev', from, UNDO)} undo request(s), ${sent} D1 request(s) in all (reads, lease, undos, release)`);
    expect(await ledger(w, 'dev')).toEqual(['0001_t1.sql']);
    expect(await w.fake.database(w.uuids.dev!).query('SELECT name FROM promote_migrations ORDER BY name')).toEqual([{ name: '0001_t1.sql' }]);
    expect(await fingerprint(w, 'dev')).toEqual(await fingerprint(w, 'staging'));

    const all = await cli(['rollback', '--env', 'dev', '--to', '0000', '--json']);
    expect(all.code, all.stdout + all.stderr).toBe(4);
    expect(all.stderr).toContain('dev is not healthy after the rollback');
    expect(all.stderr).toContain('/dev/notes/1');
    expect(await ledger(w, 'dev')).toEqual([]);
    expect((await fingerprint(w, 'dev')).objects).toEqual([]);
  });

  it('refuses a migration above the target without a rollback file (exit 2, naming it) before any write request, and a held lease (exit 3)', { timeout: 300_000 }, async () => {
    const w = await world();
    const root = await makeProject(files(w, 4, { withoutRollback: [3] }));
    const cli = (args: string[]) => promoteCloudflare(w, root, args);
    expect((await cli(['migrate', '--env', 'dev'])).code).toBe(0);

    const from = w.fake.requests.length;
    const res = await cli(['rollback', '--env', 'dev', '--to', '0001']);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stderr).toContain(`${name(3)} cannot be undone`);
    expect(res.stderr).toContain(`migrations/rollback/${name(3).replace(/\.sql$/, '.rollback.sql')}`);
    const posted = w.fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path.endsWith('/query'));
    expect(posted.filter((r) => /DELETE|INSERT|promote_lock/.test(r.body))).toEqual([]);
    expect(await ledger(w, 'dev')).toEqual(['0001_t1.sql', name(2), name(3), name(4)]);

    const future = await cli(['rollback', '--env', 'dev', '--to', '0007']);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain(`beyond the newest migration, ${name(4)}`);

    // Another run holds the environment's lease: exit 3, nothing undone (0004 alone would be undoable).
    const db = w.fake.database(w.uuids.dev!);
    await db.query(CREATE_LOCK_SQL);
    await db.query('INSERT INTO promote_lock (id, run_id, owner, acquired_at, expires_at) VALUES (1, ?, ?, ?, ?)', ['r-other', 'someone@ci', '2026-01-01T00:00:00Z', Date.now() + 600_000]);
    const locked = await cli(['rollback', '--env', 'dev', '--to', '0003']);
    expect(locked.code, locked.stdout + locked.stderr).toBe(3);
    expect(locked.stderr).toContain('dev is locked by run r-other (someone@ci');
    expect(await ledger(w, 'dev')).toEqual(['0001_t1.sql', name(2), name(3), name(4)]);
    await db.query('DELETE FROM promote_lock');
    const free = await cli(['rollback', '--env', 'dev', '--to', '0003', '--json']);
    expect(free.code, free.stdout + free.stderr).toBe(0);
    expect(await ledger(w, 'dev')).toEqual(['0001_t1.sql', name(2), name(3)]);
  });

  it('a rollback --to killed with SIGKILL mid-way: consistent, and the rerun finishes without undoing anything twice', { timeout: 300_000 }, async () => {
    const w = await world();
    // Each rollback file over half the budget: one undo per request.
    const root = await makeProject(files(w, 4, { rollbackPad: 60_000 }));
    expect((await promoteCloudflare(w, root, ['migrate', '--env', 'dev'])).code).toBe(0);
    expect((await promoteCloudflare(w, root, ['migrate', '--env', 'staging', '--to', '0001'])).code).toBe(0);
    // Every API answer takes 700 ms: the second undo is in flight when the kill lands.
    w.fake.setLatency(700);
    const run = startCli(['rollback', '--env', 'dev', '--to', '0001', '--json', '--lock-ttl', '1500ms', '--cwd', root], { env: { ...w.fake.env, HEALTH_BASE: w.healthBase, HOME: `${root}/.home` } });
    const first = await run.waitFor((e) => e.type === 'undone', 'the first undone batch');
    expect(first.migrations).toEqual([name(4)]);
    run.kill('SIGKILL');
    await run.done;
    // Let the request that was in flight land (or not): either way it is one transaction.
    await new Promise((r) => setTimeout(r, 1_600));
    w.fake.setLatency(0);

    const after = await ledger(w, 'dev');
    expect(after).not.toContain(name(4));
    expect(after).toContain(name(2));
    const tables = ((await w.fake.database(w.uuids.dev!).query("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*'")) as { name: string }[]).map((r) => r.name).sort();
    expect(tables).toEqual(after.filter((n) => n !== '0001_t1.sql').map((n) => /_(t\d+)\.sql$/.exec(n)![1]).sort());

    const rerun = await promoteCloudflare(w, root, ['rollback', '--env', 'dev', '--to', '0001', '--json']);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect((lastJson(rerun.stdout).databases as { undone: string[] }[])[0]!.undone).toEqual(after.filter((n) => n !== '0001_t1.sql').reverse());
    expect(await ledger(w, 'dev')).toEqual(['0001_t1.sql']);
    expect(await fingerprint(w, 'dev')).toEqual(await fingerprint(w, 'staging'));
  });

  it('a rollback file holding a trigger goes through D1 import, as its migrate would (a /query that splits like the field)', { timeout: 300_000 }, async () => {
    const w = await world({ querySplit: 'line-semicolons' });
    const trigger = "CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes\nBEGIN\n  UPDATE notes SET body = body || '!' WHERE id = NEW.id AND 0;\nEND;\n";
    const root = await makeProject({
      ...files(w, 1),
      'migrations/0001_t1.sql': `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO notes (id, body) VALUES (1, 'first');\n${trigger}`,
      'migrations/0002_t2.sql': 'DROP TRIGGER notes_touch;\n',
      'migrations/rollback/0002_t2.rollback.sql': trigger,
    });
    const cli = (args: string[]) => promoteCloudflare(w, root, args);
    expect((await cli(['migrate', '--env', 'dev'])).code).toBe(0);
    expect((await cli(['migrate', '--env', 'staging', '--to', '0001'])).code).toBe(0);
    const from = w.fake.requests.length;
    const res = await cli(['rollback', '--env', 'dev', '--to', '0001', '--json']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(w.fake.requests.slice(from).some((r) => r.path.endsWith('/import'))).toBe(true);
    expect(await ledger(w, 'dev')).toEqual(['0001_t1.sql']);
    expect(await fingerprint(w, 'dev')).toEqual(await fingerprint(w, 'staging'));
  });
});
