/**
 * The fake fails like the field: /query in 'line-semicolons' mode cuts SQL at semicolons that end a
 * line (a multi-line trigger fails with 7500 "incomplete input"), and the import flow applies the
 * same SQL whole, or on `error` leaves the database as it was. Driven by promote's own adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareApi } from '../../src/targets/cloudflare/cloudflare-api.js';
import { D1RestConnection } from '../../src/targets/cloudflare/d1-rest.js';
import { D1QueryError } from '../../src/errors.js';
import { callApi, d1Path } from './api-client.js';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

let fake: FakeCloudflare;
let api: CloudflareApi;

beforeAll(async () => {
  fake = await startFakeCloudflare({ querySplit: 'line-semicolons', importActivePolls: 3 });
  api = new CloudflareApi({ token: fake.token, accountId: fake.accountId, baseUrl: fake.url });
});
afterAll(async () => {
  await api?.close();
  await fake?.close();
});

const TRIGGER_LF = "CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes\nBEGIN\n  UPDATE notes SET updated_at = 'x' WHERE id = NEW.id;\nEND";
const TRIGGER_CRLF = TRIGGER_LF.replace(/\n/g, '\r\n');

async function freshDb(name: string): Promise<{ uuid: string; conn: D1RestConnection }> {
  const { uuid } = await fake.addDatabase(name);
  await fake.database(uuid).query('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT); INSERT INTO notes (id, body) VALUES (1, \'a\')');
  return { uuid, conn: new D1RestConnection(api, uuid, name) };
}

const triggers = async (uuid: string) => (await fake.database(uuid).query("SELECT name FROM sqlite_schema WHERE type = 'trigger'")).map((r) => r.name);

describe('/query that splits like the field', () => {
  it.each([
    ['LF', TRIGGER_LF],
    ['CRLF', TRIGGER_CRLF],
  ])('a multi-line trigger sent as a batch item fails with 7500 incomplete input (%s), and nothing of the batch commits', async (_, trigger) => {
    const { uuid, conn } = await freshDb(`split-${_.toLowerCase()}`);
    const reply = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { batch: [{ sql: 'CREATE TABLE before_it (x)' }, { sql: trigger }] } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0]).toMatchObject({ code: 7500, message: expect.stringContaining('incomplete input') });
    expect(reply.body.errors[0]!.message).toMatch(/SQLITE_ERROR/);
    await expect(conn.batch([{ sql: trigger }])).rejects.toBeInstanceOf(D1QueryError);
    expect(await triggers(uuid)).toEqual([]);
    expect(await fake.database(uuid).query("SELECT name FROM sqlite_schema WHERE name = 'before_it'")).toEqual([]);
  });

  it('leaves statements without a line-ending semicolon alone: a one-line trigger and plain statements apply', async () => {
    const { uuid, conn } = await freshDb('split-one-line');
    await conn.batch([{ sql: 'ALTER TABLE notes ADD COLUMN n INTEGER' }, { sql: TRIGGER_LF.replace(/\n\s*/g, ' ') }, { sql: 'UPDATE notes SET n = ? WHERE id = ?', params: [5, 1] }]);
    expect(await triggers(uuid)).toEqual(['notes_touch']);
    // wrangler's form, one `sql` with the file's statements on their own lines, splits as it should.
    await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'CREATE TABLE a (x);\nCREATE TABLE b (y);\n' } });
    expect((await fake.database(uuid).query("SELECT count(*) AS n FROM sqlite_schema WHERE name IN ('a','b')"))[0]).toEqual({ n: 2 });
  });
});

describe('the import flow', () => {
  it('init -> PUT upload_url (same loopback server, no bearer) -> ingest -> poll (active x3) -> complete, the trigger whole', async () => {
    const { uuid, conn } = await freshDb('import-ok');
    const from = fake.requests.length;
    await conn.importBatch([{ sql: 'ALTER TABLE notes ADD COLUMN n INTEGER' }, { sql: TRIGGER_CRLF }, { sql: 'INSERT INTO notes (id, body) VALUES (?, ?)', params: [2, "it's"] }]);
    expect(await triggers(uuid)).toEqual(['notes_touch']);
    expect(await fake.database(uuid).query('SELECT body FROM notes WHERE id = 2')).toEqual([{ body: "it's" }]);
    const log = fake.requests.slice(from);
    const steps = log.map((r) => (r.method === 'PUT' ? 'PUT' : (JSON.parse(r.body) as { action: string }).action));
    expect(steps).toEqual(['init', 'PUT', 'ingest', 'poll', 'poll', 'poll']);
    expect(log.map((r) => JSON.parse(r.response ?? '{}').result?.status).filter(Boolean)).toEqual(['active', 'active', 'active', 'complete']);
    const put = log.find((r) => r.method === 'PUT')!;
    expect(put.path).toMatch(/^\/__fake\/d1-imports\//);
    expect(put.headers.authorization).toBeUndefined();
    expect(JSON.parse(log.at(-1)!.response!).result).toMatchObject({ status: 'complete', result: { num_queries: 3, final_bookmark: expect.any(String) } });
  });

  it('an import that ends in error leaves the database in its original state', async () => {
    const { uuid, conn } = await freshDb('import-error');
    const before = await fake.database(uuid).dump();
    fake.imports.failNext = 1;
    await expect(conn.importBatch([{ sql: 'CREATE TABLE t (x)' }, { sql: TRIGGER_LF }])).rejects.toThrow(/restored to its state before/);
    expect(await fake.database(uuid).dump()).toBe(before);
    // A SQL error inside the file: the same, and D1's message comes through.
    await expect(conn.importBatch([{ sql: 'CREATE TABLE t (x)' }, { sql: 'INSERT INTO nope VALUES (1)' }])).rejects.toThrow(/no such table: nope/);
    expect(await fake.database(uuid).dump()).toBe(before);
  });
});
