/**
 * Trigger migrations on target: cloudflare, against a fake whose /query splits SQL at semicolons
 * that end a line, as the field reports D1 doing (7500 "incomplete input" for a multi-line trigger).
 * The default transport (auto) sends the trigger's chunk through D1's import flow and every other
 * chunk through /query; `transport: query` reproduces the field's failure with nothing half-applied.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, type FakeCloudflare, type LoggedRequest } from '../fake-cloudflare/server.js';
import { CF_ENVS as ENVS, cloudflareEnvFile as envFile, cloudflareProjectFiles, promoteCloudflare, startHealthServer } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

const BASE = {
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);\n',
  'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT);\nCREATE INDEX notes_user ON notes(user_id);\n',
};
const TRIGGER_LF =
  "-- Migration number: 0003\nALTER TABLE notes ADD COLUMN updated_at TEXT;\nCREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes\nBEGIN\n  UPDATE notes SET updated_at = datetime('now') WHERE id = NEW.id;\nEND;\n";
const TRIGGER_CRLF =
  'CREATE TABLE audit (note_id INTEGER, at TEXT);\r\nCREATE TRIGGER notes_audit AFTER INSERT ON notes\r\nBEGIN\r\n  INSERT INTO audit VALUES (NEW.id, \'now; really\');\r\n  DELETE FROM audit WHERE at < \'2000\';  -- keep it short\r\nEND;\r\n';

interface World {
  fake: FakeCloudflare;
  uuids: Record<string, string>;
  health: Server;
  healthBase: string;
}

async function startWorld(): Promise<World> {
  const fake = await startFakeCloudflare({ querySplit: 'line-semicolons', importActivePolls: 2 });
  const uuids: Record<string, string> = {};
  for (const env of ENVS) uuids[env] = (await fake.addDatabase(`app-${env}`)).uuid;
  const { server, base } = await startHealthServer(fake, uuids);
  return { fake, uuids, health: server, healthBase: base };
}

async function stopWorld(w: World | undefined): Promise<void> {
  if (!w) return;
  await new Promise((r) => w.health.close(r));
  await w.fake.close();
}

const ledger = async (w: World, env: string): Promise<string[]> => {
  try {
    return ((await w.fake.database(w.uuids[env]!).query('SELECT name FROM d1_migrations ORDER BY id')) as { name: string }[]).map((r) => r.name);
  } catch {
    return [];
  }
};
const schemaNames = async (w: World, env: string) =>
  ((await w.fake.database(w.uuids[env]!).query("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")) as { name: string }[]).map((r) => r.name);

const isImport = (r: LoggedRequest) => r.path.endsWith('/import') || r.path.startsWith('/__fake/d1-imports/');
const action = (r: LoggedRequest) => (r.method === 'PUT' ? 'PUT' : (JSON.parse(r.body) as { action: string }).action);

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  await stopWorld(world);
  await cleanupProjects();
});

describe('transport: auto on a fake whose /query splits like the field', () => {
  it('v1 goes through /query only; the LF trigger, then the CRLF trigger, go through the import flow, their chunks only', async () => {
    const w = world;
    const root = await makeProject(cloudflareProjectFiles(w, BASE));
    const promote = (args: string[]) => promoteCloudflare(w, root, args);

    const from1 = w.fake.requests.length;
    const v1 = await promote(['--to', 'production', '--json']);
    expect(v1.code, v1.stderr + v1.stdout.slice(-2000)).toBe(0);
    expect(w.fake.requests.slice(from1).filter(isImport)).toEqual([]);

    await writeFiles(root, { 'migrations/0003_note_updated_at.sql': TRIGGER_LF });
    // plan says which transport the pending chunk takes, before anything runs
    const plan = await promote(['plan', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const chunks = (JSON.parse(plan.stdout) as { stages: { databases: { chunks?: { migrations: string[]; transport: string; reason: string }[] }[] }[] }).stages.map((s) => s.databases[0]!.chunks);
    for (const c of chunks) expect(c).toEqual([{ migrations: ['0003_note_updated_at.sql'], transport: 'import', reason: expect.stringContaining('holds a trigger (0003_note_updated_at.sql:3)') }]);
    const status = await promote(['status', '--env', 'dev']);
    expect(status.stdout).toContain('via import (holds a trigger (0003_note_updated_at.sql:3); /query splits it): 0003_note_updated_at.sql');

    const from2 = w.fake.requests.length;
    const v2 = await promote(['--to', 'production', '--json']);
    expect(v2.code, v2.stderr + v2.stdout.slice(-2000)).toBe(0);
    expect((lastJson(v2.stdout) as { stages: { result: string }[] }).stages.map((s) => s.result)).toEqual(['promoted', 'promoted', 'promoted']);
    const log2 = w.fake.requests.slice(from2);
    for (const env of ENVS) {
      expect(await ledger(w, env)).toEqual(['0001_users.sql', '0002_notes.sql', '0003_note_updated_at.sql']);
      expect(await schemaNames(w, env)).toContain('notes_touch');
      // one import per environment: init, upload, ingest, then polls until complete (2 active answers)
      const flow = log2.filter((r) => isImport(r) && (r.path.includes(w.uuids[env]!) || r.method === 'PUT'));
      expect(flow.filter((r) => r.method === 'POST').map(action)).toEqual(['init', 'ingest', 'poll', 'poll']);
    }
    expect(log2.filter((r) => r.method === 'PUT')).toHaveLength(3);
    // the trigger never travelled through /query
    expect(log2.filter((r) => r.path.endsWith('/query') && r.body.includes('CREATE TRIGGER'))).toEqual([]);
    // the trigger works remotely
    await w.fake.database(w.uuids.dev!).query("INSERT INTO users (id, email) VALUES (1, 'a@x'); INSERT INTO notes (id, user_id, body) VALUES (1, 1, 'a'); UPDATE notes SET body = 'b' WHERE id = 1");
    expect(((await w.fake.database(w.uuids.dev!).query('SELECT updated_at FROM notes WHERE id = 1')) as { updated_at: string | null }[])[0]!.updated_at).not.toBeNull();

    // CRLF, a string holding '; ' and a comment after a body semicolon: the same
    await writeFiles(root, { 'migrations/0004_notes_audit.sql': TRIGGER_CRLF, 'migrations/0005_tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n' });
    const from3 = w.fake.requests.length;
    const v3 = await promote(['--to', 'dev', '--json']);
    expect(v3.code, v3.stderr + v3.stdout.slice(-2000)).toBe(0);
    expect(await ledger(w, 'dev')).toEqual(['0001_users.sql', '0002_notes.sql', '0003_note_updated_at.sql', '0004_notes_audit.sql', '0005_tags.sql']);
    expect(await schemaNames(w, 'dev')).toEqual(expect.arrayContaining(['audit', 'notes_audit', 'tags']));
    expect(w.fake.requests.slice(from3).filter((r) => r.path.endsWith('/import')).map(action)).toEqual(['init', 'ingest', 'poll', 'poll']);
  }, 300_000);
});

describe('transport: query reproduces the field', () => {
  it('the trigger migration fails with 7500 incomplete input, exit 1, nothing of it applied, and the hint names the fix', async () => {
    const w = await startWorld();
    try {
      const files = cloudflareProjectFiles(w, BASE);
      files['environments/dev.yaml'] = envFile('dev', 'databases:\n  - binding: DB\n    transport: query\n');
      const root = await makeProject(files);
      const promote = (args: string[]) => promoteCloudflare(w, root, args);
      const v1 = await promote(['--to', 'production']);
      expect(v1.code, v1.stderr).toBe(0);
      const before = await w.fake.database(w.uuids.dev!).dump();

      await writeFiles(root, { 'migrations/0003_note_updated_at.sql': TRIGGER_LF });
      const plan = await promote(['plan', '--to', 'dev']);
      expect(plan.stdout).toContain('via query (transport: query): 0003_note_updated_at.sql');
      const from = w.fake.requests.length;
      const v2 = await promote(['--to', 'production', '--json']);
      expect(v2.code, v2.stderr + v2.stdout.slice(-2000)).toBe(1);
      const said = v2.stdout + v2.stderr;
      expect(said).toMatch(/incomplete input/);
      expect(said).toContain("D1's /query cuts statements at semicolons that end a line");
      expect((lastJson(v2.stdout) as { stages: { result: string }[] }).stages.map((s) => s.result)).toEqual(['rolled-back', 'skipped', 'skipped']);
      const failed = w.fake.requests.slice(from).filter((r) => r.path.endsWith('/query') && r.body.includes('CREATE TRIGGER'));
      expect(failed.map((r) => [r.status, JSON.parse(r.response!).errors[0].code])).toEqual([[400, 7500]]);
      expect(w.fake.requests.slice(from).filter(isImport)).toEqual([]);
      // nothing half-applied: not the ALTER before the trigger, not the ledger row
      expect(await ledger(w, 'dev')).toEqual(['0001_users.sql', '0002_notes.sql']);
      const cols = (await w.fake.database(w.uuids.dev!).query('PRAGMA table_info(notes)')) as { name: string }[];
      expect(cols.map((c) => c.name)).not.toContain('updated_at');
      const withoutLock = (dump: string) => dump.split('\n').filter((l) => !l.includes('promote_lock'));
      expect(withoutLock(await w.fake.database(w.uuids.dev!).dump())).toEqual(withoutLock(before));
      for (const env of ['staging', 'production']) expect(await ledger(w, env)).toEqual(['0001_users.sql', '0002_notes.sql']);
    } finally {
      await stopWorld(w);
    }
  }, 300_000);
});
