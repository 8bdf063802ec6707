/**
 * A small SQLite tokenizer, modelled on sqlite3GetToken() in SQLite's tokenize.c.
 *
 * Splitting and linting both need to know what is a keyword and what is text inside a string,
 * a comment or a quoted identifier; regexes over raw SQL get that wrong ("-- BEGIN", 'a;b',
 * a column named "commit"). Everything that reasons about SQL goes through these tokens instead.
 * Whitespace and comments are skipped: nothing downstream needs them.
 */

export type TokenKind =
  /** Keyword or bare identifier: SQLite decides which by context, and so do we. */
  | 'word'
  /** "..", `..` or [..] identifier. */
  | 'quoted'
  /** '..' literal, also X'..' blobs. */
  | 'string'
  | 'number'
  /** ?, ?1, :name, @name, $name */
  | 'param'
  /** Any other single character: ; ( ) , . = and operators. */
  | 'punct';

export interface Token {
  kind: TokenKind;
  /** Source text exactly as written. */
  text: string;
  /** Offsets into the tokenized text: text === sql.slice(start, end). */
  start: number;
  end: number;
  /** 1-based lines of the first and last character. */
  line: number;
  endLine: number;
  /** A string, quoted identifier or block comment that reached end of input: SQLite says "incomplete input". */
  unterminated?: boolean;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\f', '\r', '\v']);

/** SQLite's IdChar(): ASCII letters, digits, _ and $, plus every non-ASCII character. */
function isIdChar(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

/**
 * @param firstLine line number of sql's first character, so tokens of one statement carry file lines.
 * Line breaks are \n, \r\n (one break) and a lone \r, so CRLF checkouts number lines like LF ones.
 */
export function tokenize(sql: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  let line = firstLine;
  let i = 0;

  /** Advance over sql[i..to), counting line breaks. */
  const advanceTo = (to: number): void => {
    for (; i < to; i++) {
      const ch = sql[i];
      if (ch === '\n' || (ch === '\r' && sql[i + 1] !== '\n')) line++;
    }
  };
  const push = (kind: TokenKind, end: number, unterminated = false): void => {
    const start = i;
    const startLine = line;
    advanceTo(end);
    // endLine is the line of the last character, not of the position after it.
    const last = sql[end - 1];
    const endsWithBreak = last === '\n' || last === '\r';
    const token: Token = { kind, text: sql.slice(start, end), start, end, line: startLine, endLine: endsWithBreak ? line - 1 : line };
    if (unterminated) token.unterminated = true;
    tokens.push(token);
  };

  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (WHITESPACE.has(ch)) {
      advanceTo(i + 1);
    } else if (ch === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      advanceTo(nl === -1 ? sql.length : nl);
    } else if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      // An unterminated block comment is harmless to SQLite at end of input; skip it quietly.
      advanceTo(close === -1 ? sql.length : close + 2);
    } else if (ch === "'") {
      const end = quotedEnd(sql, i, "'");
      push('string', end ?? sql.length, end === undefined);
    } else if ((ch === 'x' || ch === 'X') && next === "'") {
      const end = quotedEnd(sql, i + 1, "'");
      push('string', end ?? sql.length, end === undefined);
    } else if (ch === '"' || ch === '`') {
      const end = quotedEnd(sql, i, ch);
      push('quoted', end ?? sql.length, end === undefined);
    } else if (ch === '[') {
      const close = sql.indexOf(']', i + 1);
      push('quoted', close === -1 ? sql.length : close + 1, close === -1);
    } else if (/[0-9]/.test(ch) || (ch === '.' && next !== undefined && /[0-9]/.test(next))) {
      let j = i + 1;
      while (j < sql.length) {
        const c = sql[j] as string;
        const prev = sql[j - 1] as string;
        if (/[0-9A-Za-z_.]/.test(c) || ((c === '+' || c === '-') && /[eE]/.test(prev) && !/^0[xX]/.test(sql.slice(i, j)))) j++;
        else break;
      }
      push('number', j);
    } else if (ch === '?' || ch === ':' || ch === '@' || ch === '$') {
      let j = i + 1;
      while (j < sql.length && isIdChar(sql[j] as string)) j++;
      push('param', j);
    } else if (isIdChar(ch)) {
      let j = i + 1;
      while (j < sql.length && isIdChar(sql[j] as string)) j++;
      push('word', j);
    } else {
      push('punct', i + 1);
    }
  }
  return tokens;
}

/** End offset (exclusive) of a quoted run starting at `from`, where a doubled quote escapes itself. */
function quotedEnd(sql: string, from: number, quote: string): number | undefined {
  let j = from + 1;
  for (;;) {
    const close = sql.indexOf(quote, j);
    if (close === -1) return undefined;
    if (sql[close + 1] === quote) j = close + 2;
    else return close + 1;
  }
}

/** Upper-cased keyword when the token is a bare word, so `begin` and `BEGIN` match and "begin" does not. */
export function keywordOf(token: Token | undefined): string | undefined {
  return token?.kind === 'word' ? token.text.toUpperCase() : undefined;
}

/** True when tokens[i] is the bare word `keyword` (upper case). */
export function isKeyword(tokens: readonly Token[], i: number, keyword: string): boolean {
  return keywordOf(tokens[i]) === keyword;
}

export function isPunct(token: Token | undefined, ch: string): boolean {
  return token?.kind === 'punct' && token.text === ch;
}

/**
 * The name a token denotes when used as an identifier: quotes removed and doubled quotes undone.
 * SQLite also accepts 'single-quoted' names in DDL for compatibility, so strings count too.
 */
export function identifierOf(token: Token | undefined): string | undefined {
  if (!token) return undefined;
  if (token.kind === 'word') return token.text;
  if (token.kind === 'string' && !/^[xX]/.test(token.text)) return token.text.slice(1, -1).replaceAll("''", "'");
  if (token.kind === 'quoted') {
    const open = token.text[0];
    const inner = token.text.slice(1, token.unterminated ? undefined : -1);
    if (open === '[') return inner;
    return inner.replaceAll(`${open}${open}`, open as string);
  }
  return undefined;
}

/** The first `count` tokens' keywords, stopping at the first token that is not a bare word. */
export function leadingKeywords(sql: string, count: number): string[] {
  const words: string[] = [];
  for (const token of tokenize(sql)) {
    const keyword = keywordOf(token);
    if (keyword === undefined || words.length >= count) break;
    words.push(keyword);
  }
  return words;
}
