import { describe, expect, it } from 'vitest';
import { hasExecutableSql, isCompleteStatement, splitStatements } from '../../../src/migrations/split-statements.js';

const sqls = (sql: string) => splitStatements(sql).map((s) => s.sql);

describe('splitStatements', () => {
  it('splits on semicolons and drops the terminator', () => {
    expect(sqls('CREATE TABLE a (x);\nCREATE TABLE b (y);\n')).toEqual(['CREATE TABLE a (x)', 'CREATE TABLE b (y)']);
  });

  it('keeps a final statement without a semicolon', () => {
    const statements = splitStatements('INSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2)\n\n');
    expect(statements.map((s) => s.sql)).toEqual(['INSERT INTO a VALUES (1)', 'INSERT INTO a VALUES (2)']);
    expect(statements[1]).toMatchObject({ line: 2, endLine: 2 });
  });

  it('does not split on semicolons inside strings, with doubled-quote escapes', () => {
    expect(sqls("INSERT INTO t VALUES ('a;b', 'it''s; fine');SELECT 1;")).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s; fine')",
      'SELECT 1',
    ]);
  });

  it('does not split on semicolons inside quoted identifiers of every kind', () => {
    expect(sqls('CREATE TABLE "a;b" ("x;""y" INT, `c;d` INT, [e;f] INT);SELECT 2')).toEqual([
      'CREATE TABLE "a;b" ("x;""y" INT, `c;d` INT, [e;f] INT)',
      'SELECT 2',
    ]);
  });

  it('does not split on semicolons inside comments', () => {
    const statements = splitStatements('SELECT 1 -- not; here\n, 2 /* nor; here */;\nSELECT 3;');
    expect(statements.map((s) => s.sql)).toEqual(['SELECT 1 -- not; here\n, 2', 'SELECT 3']);
  });

  it('strips leading comments and whitespace, and trailing comments before the semicolon', () => {
    const [s] = splitStatements('\n-- create users\n/* block */\n  CREATE TABLE users (id) -- trailing\n;');
    expect(s).toEqual({ sql: 'CREATE TABLE users (id)', line: 4, endLine: 4, bytes: 23 });
  });

  it('produces nothing for comment-only chunks and empty statements', () => {
    expect(splitStatements('-- only a comment\n;;\n/* x; */ ;\n')).toEqual([]);
    expect(sqls('SELECT 1;;;SELECT 2;')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('reports first and last lines of multi-line statements', () => {
    const statements = splitStatements('SELECT 1;\n\nCREATE TABLE t (\n  a INT,\n  b TEXT\n);\nSELECT\n2;');
    expect(statements.map((s) => [s.line, s.endLine])).toEqual([[1, 1], [3, 6], [7, 8]]);
  });

  it('counts a multi-line string in the statement end line', () => {
    const [, s] = splitStatements("SELECT 1;\nINSERT INTO t VALUES ('line1\nline2\nline3');");
    expect(s).toMatchObject({ line: 2, endLine: 4 });
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 10 characters; é is 2 bytes and € is 3 in UTF-8.
    expect(splitStatements("SELECT 'é€'")[0]!.bytes).toBe(14);
  });
});

describe('splitStatements: triggers', () => {
  const trigger = [
    'CREATE TABLE a (x);',
    'CREATE TRIGGER end_trigger AFTER INSERT ON a',
    'BEGIN',
    "  UPDATE a SET x = CASE WHEN new.x > 1 THEN 'big' ELSE 'small' END WHERE rowid = new.rowid;",
    "  INSERT INTO log (msg) VALUES ('inserted; really');",
    'END;',
    'SELECT 1;',
  ].join('\n');

  it('keeps a trigger body with several statements and a CASE ... END in one statement', () => {
    const statements = splitStatements(trigger);
    expect(statements).toHaveLength(3);
    expect(statements[1]!.sql.startsWith('CREATE TRIGGER end_trigger')).toBe(true);
    expect(statements[1]!.sql.endsWith('END')).toBe(true);
    expect(statements[1]).toMatchObject({ line: 2, endLine: 6 });
    expect(statements[2]).toMatchObject({ sql: 'SELECT 1', line: 7 });
  });

  it('works identically with CRLF line endings (wrangler #15178)', () => {
    const crlf = splitStatements(trigger.replaceAll('\n', '\r\n'));
    const lf = splitStatements(trigger);
    expect(crlf.map((s) => [s.line, s.endLine])).toEqual(lf.map((s) => [s.line, s.endLine]));
    expect(crlf.map((s) => s.sql.replaceAll('\r\n', '\n'))).toEqual(lf.map((s) => s.sql));
    expect(crlf[1]!.sql).toContain('\r\n');
  });

  it('handles CREATE TEMP TRIGGER, IF NOT EXISTS and a CASE END directly before the body END', () => {
    const sql = 'CREATE TEMPORARY TRIGGER IF NOT EXISTS t1 BEFORE DELETE ON a BEGIN\n SELECT CASE WHEN 1 THEN RAISE(ABORT, \'no\') END;\nEND;\nDELETE FROM a WHERE x = 1;';
    expect(sqls(sql)).toHaveLength(2);
    expect(isCompleteStatement(splitStatements(sql)[0]!.sql)).toBe(true);
  });

  it('does not treat a column or table named end as a trigger end outside triggers', () => {
    expect(sqls('CREATE TABLE "end" ("end" INT);\nSELECT [end] FROM "end";\nUPDATE t SET x = 1;')).toHaveLength(3);
    expect(sqls('SELECT end FROM t; SELECT 2;')).toEqual(['SELECT end FROM t', 'SELECT 2']);
  });

  it('handles lower-case keywords and a trigger whose last END has no semicolon', () => {
    const statements = splitStatements('create trigger t after insert on a begin\n  delete from b;\nend');
    expect(statements).toHaveLength(1);
    expect(isCompleteStatement(statements[0]!.sql)).toBe(true);
  });

  it('marks a trigger without END as incomplete, swallowing the rest of the file as SQLite would', () => {
    const statements = splitStatements('CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  DELETE FROM b;\nSELECT 1;');
    expect(statements).toHaveLength(1);
    expect(isCompleteStatement(statements[0]!.sql)).toBe(false);
  });
});

describe('CRLF', () => {
  it('counts CRLF as one line break', () => {
    const statements = splitStatements('SELECT 1;\r\n\r\n-- c\r\nSELECT\r\n 2;\r\n');
    expect(statements.map((s) => [s.sql, s.line, s.endLine])).toEqual([
      ['SELECT 1', 1, 1],
      ['SELECT\r\n 2', 4, 5],
    ]);
  });
});

describe('isCompleteStatement', () => {
  it('is false for an unterminated string or identifier', () => {
    expect(isCompleteStatement("SELECT 'abc")).toBe(false);
    expect(isCompleteStatement('SELECT "abc')).toBe(false);
    expect(isCompleteStatement('SELECT 1')).toBe(true);
  });
});

describe('hasExecutableSql', () => {
  it('is false for whitespace, comments and bare semicolons', () => {
    expect(hasExecutableSql('')).toBe(false);
    expect(hasExecutableSql(' \r\n\t')).toBe(false);
    expect(hasExecutableSql('-- Migration number: 0001\n/* nothing */\n;')).toBe(false);
  });
  it('is true as soon as one token is SQL', () => {
    expect(hasExecutableSql('-- x\nSELECT 1')).toBe(true);
  });
});
