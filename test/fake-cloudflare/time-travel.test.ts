import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, d1Path } from './api-client.js';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

let fake: FakeCloudflare;
let clock = Date.parse('2026-05-01T10:00:00Z');

beforeAll(async () => {
  fake = await startFakeCloudflare({ now: () => clock });
});
afterAll(() => fake?.close());

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

async function bookmark(uuid: string, timestamp?: string): Promise<string> {
  const reply = await callApi<{ bookmark: string }>(fake, 'GET', d1Path(fake, uuid, `/time_travel/bookmark${timestamp ? `?timestamp=${encodeURIComponent(timestamp)}` : ''}`));
  expect(reply.status, JSON.stringify(reply.body.errors)).toBe(200);
  return reply.body.result.bookmark;
}

async function restore(uuid: string, query: string) {
  return callApi<{ bookmark: string; previous_bookmark: string; message: string }>(fake, 'POST', d1Path(fake, uuid, `/time_travel/restore?${query}`));
}

async function sql(uuid: string, text: string): Promise<void> {
  const reply = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: text } });
  expect(reply.status, JSON.stringify(reply.body.errors)).toBe(200);
}

const tables = (uuid: string) =>
  fake.database(uuid).query("SELECT name FROM sqlite_schema WHERE type IN ('table','index','trigger','view') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name");

describe('time travel', () => {
  it('restores schema and rows to a bookmark, and previous_bookmark undoes the restore', async () => {
    const { uuid } = await fake.addDatabase('tt');
    await sql(uuid, "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT); INSERT INTO users (email) VALUES ('a@x'), ('b@x');");
    clock += 1000;
    const before = await bookmark(uuid);
    expect(before).toMatch(BOOKMARK);

    clock += 1000;
    await sql(uuid, `
      CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, body TEXT);
      CREATE INDEX posts_user ON posts(user_id);
      INSERT INTO posts VALUES (1, 1, 'hello');
      ALTER TABLE users ADD COLUMN name TEXT;
      UPDATE users SET name = 'A', email = 'changed' WHERE id = 1;
      DELETE FROM users WHERE id = 2;
      INSERT INTO users (email) VALUES ('c@x');
      CREATE VIEW v AS SELECT email FROM users;`);
    const after = await bookmark(uuid);
    expect(after > before).toBe(true);

    const restored = await restore(uuid, `bookmark=${before}`);
    expect(restored.status, JSON.stringify(restored.body.errors)).toBe(200);
    expect(restored.body.result).toEqual({ bookmark: before, previous_bookmark: after, message: 'Database restored successfully' });
    expect(await tables(uuid)).toEqual([{ name: 'users' }]);
    expect(await fake.database(uuid).query('SELECT * FROM users ORDER BY id')).toEqual([{ id: 1, email: 'a@x' }, { id: 2, email: 'b@x' }]);
    expect(await fake.database(uuid).query("SELECT seq FROM sqlite_sequence WHERE name = 'users'")).toEqual([{ seq: 2 }]);

    const undone = await restore(uuid, `bookmark=${restored.body.result.previous_bookmark}`);
    expect(undone.status).toBe(200);
    expect(await tables(uuid)).toEqual([{ name: 'posts' }, { name: 'posts_user' }, { name: 'users' }, { name: 'v' }]);
    expect(await fake.database(uuid).query('SELECT * FROM users ORDER BY id')).toEqual([{ id: 1, email: 'changed', name: 'A' }, { id: 3, email: 'c@x', name: null }]);
    expect(await fake.database(uuid).query('SELECT * FROM posts')).toEqual([{ id: 1, user_id: 1, body: 'hello' }]);
  });

  it('finds the bookmark at or before a timestamp, and restores by timestamp', async () => {
    const { uuid } = await fake.addDatabase('tt-time');
    clock += 60_000;
    await sql(uuid, 'CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);');
    const at = new Date(clock).toISOString();
    const one = await bookmark(uuid);
    clock += 60_000;
    await sql(uuid, 'INSERT INTO t VALUES (2);');
    expect(await bookmark(uuid, at)).toBe(one);
    const reply = await restore(uuid, `timestamp=${encodeURIComponent(at)}`);
    expect(reply.body.result.bookmark).toBe(one);
    expect(await fake.database(uuid).query('SELECT v FROM t')).toEqual([{ v: 1 }]);

    const tooEarly = await callApi(fake, 'GET', d1Path(fake, uuid, '/time_travel/bookmark?timestamp=2000-01-01T00:00:00Z'));
    expect(tooEarly.status).toBe(400);
  });

  it('rejects an unknown bookmark without touching the database', async () => {
    const { uuid } = await fake.addDatabase('tt-unknown');
    await sql(uuid, 'CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);');
    const reply = await restore(uuid, 'bookmark=00000000-00000000-00000000-00000000000000000000000000000000');
    expect(reply.status).toBe(400);
    expect(reply.body.success).toBe(false);
    expect(reply.body.errors[0]).toMatchObject({ code: 7400, message: expect.stringContaining('Invalid bookmark') });
    expect(await fake.database(uuid).query('SELECT v FROM t')).toEqual([{ v: 1 }]);
  });

  it('allows at most 10 restores per 10 minutes per database', async () => {
    const { uuid } = await fake.addDatabase('tt-limit');
    const b = await bookmark(uuid);
    for (let i = 0; i < 10; i++) expect((await restore(uuid, `bookmark=${b}`)).status).toBe(200);
    const refused = await restore(uuid, `bookmark=${b}`);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0]?.message).toContain('10 restores per 10 minutes');
    clock += 10 * 60_000 + 1;
    expect((await restore(uuid, `bookmark=${b}`)).status).toBe(200);
  });
});
