import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, d1Path } from './api-client.js';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

let fake: FakeCloudflare;
let uuid: string;

beforeAll(async () => {
  fake = await startFakeCloudflare();
  ({ uuid } = await fake.addDatabase('app-staging'));
});
afterAll(() => fake?.close());

interface StatementResult {
  success: boolean;
  results: unknown;
  meta: Record<string, unknown>;
}

describe('databases', () => {
  it('lists, filters by name, describes and creates', async () => {
    const list = await callApi<{ uuid: string; name: string }[]>(fake, 'GET', `/accounts/${fake.accountId}/d1/database?name=app-staging`);
    expect(list.body.result).toEqual([expect.objectContaining({ uuid, name: 'app-staging', version: 'production' })]);
    expect(list.body.result_info).toMatchObject({ page: 1, total_count: 1 });

    const none = await callApi<unknown[]>(fake, 'GET', `/accounts/${fake.accountId}/d1/database?name=nope`);
    expect(none.body.result).toEqual([]);

    const info = await callApi(fake, 'GET', d1Path(fake, uuid));
    expect(info.body.result).toMatchObject({ uuid, name: 'app-staging', version: 'production', num_tables: 0 });
    expect(typeof (info.body.result as { file_size: unknown }).file_size).toBe('number');

    const created = await callApi<{ uuid: string }>(fake, 'POST', `/accounts/${fake.accountId}/d1/database`, { body: { name: 'made-by-api' } });
    expect(created.status).toBe(200);
    expect(created.body.result.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const again = await callApi(fake, 'POST', `/accounts/${fake.accountId}/d1/database`, { body: { name: 'made-by-api' } });
    expect(again.body.errors[0]?.code).toBe(7502);

    const missing = await callApi(fake, 'GET', d1Path(fake, '00000000-0000-4000-8000-000000000000'));
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]?.code).toBe(7404);
  });
});

describe('query and raw', () => {
  it('runs several statements as one request with one result per statement', async () => {
    const reply = await callApi<StatementResult[]>(fake, 'POST', d1Path(fake, uuid, '/query'), {
      body: { sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL); INSERT INTO users (email) VALUES (?); SELECT id, email FROM users WHERE email = ?;", params: ['a@x', 'a@x'] },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(reply.body.result).toHaveLength(3);
    expect(reply.body.result[2]!.results).toEqual([{ id: 1, email: 'a@x' }]);
    expect(reply.body.result[1]!.meta).toMatchObject({ changes: 1, last_row_id: 1, changed_db: true, served_by_primary: true, served_by_region: 'ENAM' });
    expect(reply.body.result[1]!.meta).toHaveProperty('timings.sql_duration_ms');
    for (const key of ['duration', 'size_after', 'rows_read', 'rows_written']) expect(reply.body.result[0]!.meta).toHaveProperty(key);
  });

  it('accepts {batch: [...]}', async () => {
    const reply = await callApi<StatementResult[]>(fake, 'POST', d1Path(fake, uuid, '/query'), {
      body: { batch: [{ sql: 'INSERT INTO users (email) VALUES (?)', params: ['b@x'] }, { sql: 'SELECT count(*) AS n FROM users' }] },
    });
    expect(reply.body.result.map((r) => r.results)).toEqual([[], [{ n: 2 }]]);
  });

  it('answers a SQL error with HTTP 400, code 7500 and D1’s message, committing nothing of the request', async () => {
    const reply = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), {
      body: { sql: "INSERT INTO users (email) VALUES ('c@x'); CREATE TABLE posts (id INTEGER PRIMARY KEY); SELECT asdf FROM users;" },
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ success: false, result: null, messages: [] });
    expect(reply.body.errors).toEqual([{ code: 7500, message: expect.stringContaining('no such column: asdf') }]);
    expect(await fake.database(uuid).query('SELECT count(*) AS n FROM users')).toEqual([{ n: 2 }]);
    expect(await fake.database(uuid).query("SELECT name FROM sqlite_schema WHERE name = 'posts'")).toEqual([]);
  });

  it('rejects what D1 rejects: transactions, long statements, too many params, empty SQL', async () => {
    const begin = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: 'BEGIN TRANSACTION; SELECT 1;' } });
    expect(begin.body.errors[0]).toMatchObject({ code: 7500, message: expect.stringContaining('state.storage.transaction') });

    const long = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: `SELECT '${'x'.repeat(100_001)}'` } });
    expect(long.status).toBe(400);
    expect(long.body.errors[0]).toMatchObject({ code: 7500, message: expect.stringContaining('Statement too long') });

    const params = Array.from({ length: 101 }, (_, i) => i);
    const many = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: `SELECT ${params.map(() => '?').join(',')}`, params } });
    expect(many.body.errors[0]).toMatchObject({ code: 7500, message: expect.stringContaining('too many SQL variables') });

    const empty = await callApi(fake, 'POST', d1Path(fake, uuid, '/query'), { body: { sql: '-- nothing\n;' } });
    expect(empty.body.errors[0]).toMatchObject({ code: 7500, message: 'No SQL statements detected.' });
  });

  it('keeps a trigger body (with its semicolons) as one statement', async () => {
    const reply = await callApi<StatementResult[]>(fake, 'POST', d1Path(fake, uuid, '/query'), {
      body: { sql: 'CREATE TABLE audit (email TEXT);\r\nCREATE TRIGGER users_audit AFTER INSERT ON users BEGIN\r\n  INSERT INTO audit VALUES (NEW.email);\r\nEND;\r\nINSERT INTO users (email) VALUES (\'t@x\');' },
    });
    expect(reply.status, JSON.stringify(reply.body.errors)).toBe(200);
    expect(reply.body.result).toHaveLength(3);
    expect(await fake.database(uuid).query('SELECT email FROM audit')).toEqual([{ email: 't@x' }]);
  });

  it('/raw answers columns and rows', async () => {
    const reply = await callApi<StatementResult[]>(fake, 'POST', d1Path(fake, uuid, '/raw'), { body: { sql: 'SELECT id, email, id AS id FROM users ORDER BY id LIMIT 2' } });
    expect(reply.body.result[0]!.results).toEqual({ columns: ['id', 'email', 'id'], rows: [[1, 'a@x', 1], [2, 'b@x', 2]] });
  });
});

describe('export', () => {
  it('completes at once with a signed URL that serves the SQL dump', async () => {
    const reply = await callApi<{ type: string; status: string; at_bookmark: string; result: { filename: string; signed_url: string } }>(
      fake, 'POST', d1Path(fake, uuid, '/export'), { body: { output_format: 'polling', dump_options: { no_data: false, no_schema: false, tables: [] } } },
    );
    expect(reply.body.result).toMatchObject({ type: 'export', status: 'complete', at_bookmark: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/) });
    const sql = await (await fetch(reply.body.result.result.signed_url)).text();
    expect(sql).toContain('CREATE TABLE users');
    expect(sql).toContain(`INSERT INTO "users" VALUES(1,'a@x');`);
    expect(sql).toContain('CREATE TRIGGER users_audit');

    const schemaOnly = await callApi<{ result: { signed_url: string } }>(fake, 'POST', d1Path(fake, uuid, '/export'), { body: { output_format: 'polling', dump_options: { no_data: true } } });
    const schema = await (await fetch(schemaOnly.body.result.result.signed_url)).text();
    expect(schema).toContain('CREATE TABLE users');
    expect(schema).not.toContain('INSERT INTO "users"');
  });
});
