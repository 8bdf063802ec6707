/**
 * SQL text reduced to what SQLite reads from it: comments and whitespace gone
 * (the tokenizer skips them), identifiers unquoted and upper-cased with
 * keywords (SQLite compares both case-insensitively), literals kept exactly.
 * Two CREATE statements that differ only in layout, quoting or case
 * normalize to the same text.
 */
import { identifierOf, isKeyword, isPunct, keywordOf, tokenize, type Token } from '../migrations/sql-tokens.js';

/** A bare word cannot tell a keyword from an identifier, so both go to upper case; a quoted name joins them. */
function tokenText(t: Token): string {
  if (t.kind === 'word') return t.text.toUpperCase();
  if (t.kind === 'quoted') return (identifierOf(t) ?? t.text).toUpperCase();
  if (t.kind === 'string' && /^[xX]/.test(t.text)) return `X${t.text.slice(1).toUpperCase()}`;
  return t.text;
}

export function normalizeTokens(tokens: readonly Token[]): string {
  let out = '';
  for (const [i, t] of tokens.entries()) {
    const prev = tokens[i - 1];
    // Spaces only where two words or literals would otherwise fuse: `a(b)` and `a ( b )` read the same.
    const glue = prev !== undefined && t.kind !== 'punct' && prev.kind !== 'punct';
    out += (glue ? ' ' : '') + tokenText(t);
  }
  return out;
}

export function normalizeSql(sql: string): string {
  let tokens = tokenize(sql);
  while (tokens.length > 0 && isPunct(tokens.at(-1), ';')) tokens = tokens.slice(0, -1);
  // `IF NOT EXISTS` only matters while creating; the object it leaves is the same.
  const at = tokens.findIndex((_, i) => isKeyword(tokens, i, 'IF') && isKeyword(tokens, i + 1, 'NOT') && isKeyword(tokens, i + 2, 'EXISTS'));
  if (at >= 0 && at <= 4 && isKeyword(tokens, 0, 'CREATE')) tokens = [...tokens.slice(0, at), ...tokens.slice(at + 3)];
  // TEMP/TEMPORARY never reaches sqlite_master of the main database; drop it for symmetry.
  if (isKeyword(tokens, 0, 'CREATE') && (isKeyword(tokens, 1, 'TEMP') || isKeyword(tokens, 1, 'TEMPORARY'))) tokens = [tokens[0]!, ...tokens.slice(2)];
  return normalizeTokens(tokens);
}

/** Index of the token that closes the parenthesis opened at `open`, or the last token. */
function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) depth++;
    else if (isPunct(tokens[i], ')') && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/** The normalized expressions of every CHECK constraint of a CREATE TABLE, in order. */
export function checkConstraints(createTable: string): string[] {
  const tokens = tokenize(createTable);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (keywordOf(tokens[i]) === 'CHECK' && isPunct(tokens[i + 1], '(')) {
      const end = closing(tokens, i + 1);
      out.push(normalizeTokens(tokens.slice(i + 2, end)));
      i = end;
    }
  }
  return out;
}

/** The WHERE clause of a CREATE INDEX (a partial index), normalized; undefined when the index is not partial. */
export function partialIndexWhere(createIndex: string): string | undefined {
  const tokens = tokenize(createIndex);
  let depth = 0;
  for (const [i, t] of tokens.entries()) {
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && keywordOf(t) === 'WHERE') {
      const rest = tokens.slice(i + 1);
      while (rest.length > 0 && isPunct(rest.at(-1), ';')) rest.pop();
      return normalizeTokens(rest);
    }
  }
  return undefined;
}

/** WITHOUT ROWID and STRICT, the table options after the column list. */
export function tableOptions(createTable: string): string[] {
  const tokens = tokenize(createTable);
  const open = tokens.findIndex((t) => isPunct(t, '('));
  if (open < 0) return [];
  const words = tokens.slice(closing(tokens, open) + 1).map(keywordOf).filter((w): w is string => w !== undefined);
  const options: string[] = [];
  if (words.includes('ROWID')) options.push('WITHOUT ROWID');
  if (words.includes('STRICT')) options.push('STRICT');
  return options;
}

/**
 * Column names of a CREATE TABLE as written (sqlite_master keeps ALTER TABLE
 * ADD COLUMN in the text), for recognising other tools' ledger tables without
 * another query. Table constraints (PRIMARY KEY (..), UNIQUE, CHECK, FOREIGN KEY, CONSTRAINT) are skipped.
 */
export function createTableColumns(createTable: string): string[] {
  const tokens = tokenize(createTable);
  const open = tokens.findIndex((t) => isPunct(t, '('));
  if (open < 0) return [];
  const end = closing(tokens, open);
  const columns: string[] = [];
  let depth = 0;
  let startOfItem = true;
  for (let i = open + 1; i < end; i++) {
    const t = tokens[i]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && isPunct(t, ',')) {
      startOfItem = true;
      continue;
    } else if (startOfItem && depth === 0) {
      const word = keywordOf(t);
      if (!['PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN', 'CONSTRAINT'].includes(word ?? '')) {
        const name = identifierOf(t);
        if (name !== undefined) columns.push(name.toLowerCase());
      }
    }
    startOfItem = false;
  }
  return columns;
}
