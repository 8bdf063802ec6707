/**
 * One SQL file for D1's import endpoint from a batch of statements. The import
 * takes text only, so the few values promote binds (ledger names, checksums,
 * run ids) are written as SQL literals here; every other byte of a migration
 * travels as written, CRLF and trigger bodies included.
 */
import { tokenize } from '../../migrations/sql-tokens.js';
import type { SqlStatement } from '../../d1/connection.js';

/** A value as a SQLite literal: strings quoted with '' doubled, numbers as numbers, null as NULL. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a SQL literal`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  throw new Error(`cannot write a ${typeof value} as a SQL literal`);
}

/** The statement with each `?` replaced by its parameter, in order (the tokenizer skips strings and comments). */
export function inlineParams(statement: SqlStatement): string {
  const params = statement.params ?? [];
  if (params.length === 0) return statement.sql;
  let out = '';
  let last = 0;
  let next = 0;
  for (const token of tokenize(statement.sql)) {
    if (token.kind !== 'param') continue;
    if (token.text !== '?') throw new Error(`import-file: only ? placeholders can be inlined, found ${token.text}`);
    if (next >= params.length) throw new Error(`import-file: more placeholders than parameters in: ${statement.sql.slice(0, 80)}`);
    out += statement.sql.slice(last, token.start) + sqlLiteral(params[next++]);
    last = token.end;
  }
  if (next !== params.length) throw new Error(`import-file: ${params.length} parameters for ${next} placeholders`);
  return out + statement.sql.slice(last);
}

/**
 * Statements joined into one file. A statement whose text ends inside a line
 * comment gets its semicolon on the next line, so the comment cannot swallow it.
 */
export function importFileOf(statements: readonly SqlStatement[]): string {
  return statements
    .map((s) => {
      const sql = inlineParams(s);
      const tokens = tokenize(sql);
      const end = tokens.at(-1)?.end ?? 0;
      const tail = sql.slice(end);
      return `${sql}${/--/.test(tail) ? '\n' : ''};\n`;
    })
    .join('');
}
