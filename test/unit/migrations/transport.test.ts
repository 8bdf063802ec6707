import { describe, expect, it } from 'vitest';
import { chooseTransport, chunkTransports, pendingChunks, SLOW_CHUNK_MS } from '../../../src/migrations/transport.js';
import { importFileOf, inlineParams } from '../../../src/targets/cloudflare/import-file.js';
import { splitStatements } from '../../../src/migrations/split-statements.js';
import { discover } from './helpers.js';

const files = {
  '0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n',
  '0002_touch.sql': 'ALTER TABLE users ADD COLUMN at TEXT;\nCREATE TRIGGER users_touch AFTER UPDATE ON users\nBEGIN\n  UPDATE users SET at = 1 WHERE id = NEW.id;\nEND;\n',
  '0003_one_line.sql': 'CREATE TEMP TRIGGER t AFTER INSERT ON users BEGIN SELECT 1; END;\n',
  '0004_string.sql': "INSERT INTO users (email) VALUES ('a;\nb');\n",
  '0005_crlf.sql': 'CREATE TABLE a (x);\r\nCREATE TABLE b (y);\r\n',
};
const byName = Object.fromEntries(discover(files).migrations.map((m) => [m.name, m]));

describe('which endpoint a chunk takes', () => {
  it('auto: import for a trigger (multi-line or not, TEMP too) or a line-ending semicolon inside a statement; query otherwise', () => {
    expect(chooseTransport([byName['0001_users.sql']!], 'auto')).toEqual({ transport: 'query', reason: 'plain statements' });
    expect(chooseTransport([byName['0001_users.sql']!, byName['0002_touch.sql']!], 'auto')).toEqual({ transport: 'import', reason: 'holds a trigger (0002_touch.sql:2); /query splits it' });
    expect(chooseTransport([byName['0003_one_line.sql']!], 'auto').transport).toBe('import');
    expect(chooseTransport([byName['0004_string.sql']!], 'auto')).toMatchObject({ transport: 'import', reason: expect.stringContaining('semicolon at the end of a line') });
    // statements end at their semicolon: CRLF between statements is no hazard
    expect(chooseTransport([byName['0005_crlf.sql']!], 'auto').transport).toBe('query');
  });

  it('auto: import for a chunk slow on the scratch copy (D1 stops a /query request at 30 s)', () => {
    expect(chooseTransport([byName['0001_users.sql']!], 'auto', SLOW_CHUNK_MS + 1)).toMatchObject({ transport: 'import', reason: expect.stringContaining('30 s') });
    expect(chooseTransport([byName['0001_users.sql']!], 'auto', SLOW_CHUNK_MS - 1).transport).toBe('query');
  });

  it('query and import are what was asked; a target without import (undefined) always batches', () => {
    expect(chooseTransport([byName['0002_touch.sql']!], 'query').transport).toBe('query');
    expect(chooseTransport([byName['0001_users.sql']!], 'import').transport).toBe('import');
    expect(chunkTransports([[byName['0002_touch.sql']!]], undefined)).toEqual([{ transport: 'query', reason: 'local target' }]);
    expect(pendingChunks([byName['0002_touch.sql']!], undefined)).toBeUndefined();
    expect(pendingChunks([byName['0001_users.sql']!, byName['0002_touch.sql']!], 'auto')).toEqual([
      { migrations: ['0001_users.sql', '0002_touch.sql'], transport: 'import', reason: 'holds a trigger (0002_touch.sql:2); /query splits it' },
    ]);
  });
});

describe('the import file', () => {
  it('inlines bound values as literals (quotes doubled, numbers, NULL), leaving ? inside strings alone', () => {
    expect(inlineParams({ sql: "INSERT INTO l (name, note, n, x) VALUES (?, '?', ?, ?)", params: ["it's", 3, null] })).toBe("INSERT INTO l (name, note, n, x) VALUES ('it''s', '?', 3, NULL)");
    expect(() => inlineParams({ sql: 'SELECT ?', params: [1, 2] })).toThrow(/2 parameters for 1 placeholders/);
  });

  it('joins statements so that the file splits back into exactly them, trigger bodies, CRLF and trailing comments included', () => {
    const statements = [...byName['0002_touch.sql']!.statements, { sql: 'SELECT 1 -- a trailing comment' }, ...byName['0005_crlf.sql']!.statements].map((s) => ({ sql: s.sql }));
    const file = importFileOf(statements);
    // the splitter drops a trailing comment from a statement's text; everything else comes back as sent
    expect(splitStatements(file).map((s) => s.sql)).toEqual(statements.map((s) => s.sql.replace(/\s*--[^\n]*$/, '')));
    expect(file).toContain('END;\n');
    expect(file).toContain('SELECT 1 -- a trailing comment\n;\n');
  });
});
