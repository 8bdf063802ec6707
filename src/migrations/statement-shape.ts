/**
 * Recognises the handful of statement forms lint rules care about, from tokens.
 *
 * This is not a SQL parser: it reads the leading keywords and the object names they introduce,
 * and calls everything else 'other'. Lint rules then match on a small union instead of each rule
 * re-reading tokens (and each getting IF NOT EXISTS or schema prefixes slightly wrong).
 */
import { identifierOf, isKeyword, isPunct, keywordOf, type Token } from './sql-tokens.js';

export interface ObjectName {
  /** As written, quotes removed. Compare with sameName(): SQLite names are case-insensitive. */
  name: string;
  /** Line of the name token. */
  line: number;
}

export type ObjectType = 'table' | 'index' | 'view' | 'trigger';

export type StatementShape =
  | { kind: 'transaction'; keyword: string }
  | { kind: 'attach'; keyword: string }
  | { kind: 'pragma'; name: string; value?: string }
  | { kind: 'create'; objectType: ObjectType; name: ObjectName; virtualModule?: string; onTable?: ObjectName; tokens: readonly Token[] }
  | { kind: 'drop'; objectType: ObjectType; name: ObjectName }
  | { kind: 'alter-table'; name: ObjectName; action: 'rename-table' | 'rename-column' | 'add-column' | 'drop-column' | 'other'; newName?: ObjectName }
  | { kind: 'write'; verb: 'INSERT' | 'UPDATE' | 'DELETE' | 'REPLACE'; table?: ObjectName; hasWhere: boolean }
  | { kind: 'other' };

const TRANSACTION_KEYWORDS = new Set(['BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);
const OBJECT_TYPES: Record<string, ObjectType> = { TABLE: 'table', INDEX: 'index', VIEW: 'view', TRIGGER: 'trigger' };

export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Reads `[schema.]name` at tokens[i]; the schema is dropped since D1 has only `main`. */
function readName(tokens: readonly Token[], i: number): { name: ObjectName; next: number } | undefined {
  const first = tokens[i];
  const firstName = identifierOf(first);
  if (!first || firstName === undefined) return undefined;
  if (isPunct(tokens[i + 1], '.')) {
    const second = tokens[i + 2];
    const secondName = identifierOf(second);
    if (second && secondName !== undefined) return { name: { name: secondName, line: second.line }, next: i + 3 };
  }
  return { name: { name: firstName, line: first.line }, next: i + 1 };
}

/** Skips the keyword sequence `words` at i when present. */
function skip(tokens: readonly Token[], i: number, ...words: string[]): number {
  return words.every((w, k) => isKeyword(tokens, i + k, w)) ? i + words.length : i;
}

export function shapeOf(tokens: readonly Token[]): StatementShape {
  const first = keywordOf(tokens[0]);
  if (first === undefined) return { kind: 'other' };
  if (TRANSACTION_KEYWORDS.has(first)) return { kind: 'transaction', keyword: first };
  if (first === 'ATTACH' || first === 'DETACH') return { kind: 'attach', keyword: first };
  if (first === 'PRAGMA') return pragmaShape(tokens);
  if (first === 'CREATE') return createShape(tokens);
  if (first === 'DROP') return dropShape(tokens);
  if (first === 'ALTER' && isKeyword(tokens, 1, 'TABLE')) return alterShape(tokens);
  return writeShape(tokens);
}

function pragmaShape(tokens: readonly Token[]): StatementShape {
  const read = readName(tokens, 1);
  if (!read) return { kind: 'other' };
  // `PRAGMA name = value` or `PRAGMA name(value)`; a leading sign belongs to the value.
  let i = read.next;
  if (isPunct(tokens[i], '=') || isPunct(tokens[i], '(')) i++;
  const sign = isPunct(tokens[i], '-') || isPunct(tokens[i], '+') ? tokens[i++]!.text : '';
  const valueToken = tokens[i];
  const value = valueToken && !isPunct(valueToken, ')') ? sign + (identifierOf(valueToken) ?? valueToken.text) : undefined;
  return value === undefined ? { kind: 'pragma', name: read.name.name } : { kind: 'pragma', name: read.name.name, value };
}

function createShape(tokens: readonly Token[]): StatementShape {
  let i = 1;
  if (isKeyword(tokens, i, 'TEMP') || isKeyword(tokens, i, 'TEMPORARY')) i++;
  if (isKeyword(tokens, i, 'UNIQUE')) i++;
  const isVirtual = isKeyword(tokens, i, 'VIRTUAL');
  if (isVirtual) i++;
  const objectType = OBJECT_TYPES[keywordOf(tokens[i]) ?? ''];
  if (!objectType) return { kind: 'other' };
  const read = readName(tokens, skip(tokens, i + 1, 'IF', 'NOT', 'EXISTS'));
  if (!read) return { kind: 'other' };
  const shape: StatementShape = { kind: 'create', objectType, name: read.name, tokens };
  if (isVirtual && isKeyword(tokens, read.next, 'USING')) {
    const module = identifierOf(tokens[read.next + 1]);
    if (module !== undefined) shape.virtualModule = module;
  }
  if (objectType === 'index' || objectType === 'trigger') {
    // The first bare ON after the name introduces the table (a trigger's WHEN and body come after it).
    const on = tokens.findIndex((t, k) => k >= read.next && keywordOf(t) === 'ON');
    const table = on === -1 ? undefined : readName(tokens, on + 1);
    if (table) shape.onTable = table.name;
  }
  return shape;
}

function dropShape(tokens: readonly Token[]): StatementShape {
  const objectType = OBJECT_TYPES[keywordOf(tokens[1]) ?? ''];
  if (!objectType) return { kind: 'other' };
  const read = readName(tokens, skip(tokens, 2, 'IF', 'EXISTS'));
  return read ? { kind: 'drop', objectType, name: read.name } : { kind: 'other' };
}

function alterShape(tokens: readonly Token[]): StatementShape {
  const read = readName(tokens, 2);
  if (!read) return { kind: 'other' };
  const i = read.next;
  const verb = keywordOf(tokens[i]);
  if (verb === 'RENAME' && isKeyword(tokens, i + 1, 'TO')) {
    const renamed = readName(tokens, i + 2);
    const shape: StatementShape = { kind: 'alter-table', name: read.name, action: 'rename-table' };
    if (renamed) shape.newName = renamed.name;
    return shape;
  }
  if (verb === 'RENAME') return { kind: 'alter-table', name: read.name, action: 'rename-column' };
  if (verb === 'ADD') return { kind: 'alter-table', name: read.name, action: 'add-column' };
  if (verb === 'DROP') return { kind: 'alter-table', name: read.name, action: 'drop-column' };
  return { kind: 'alter-table', name: read.name, action: 'other' };
}

const WRITE_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/** INSERT/UPDATE/DELETE/REPLACE, also behind a WITH clause: the verb is the first one at paren depth 0. */
function writeShape(tokens: readonly Token[]): StatementShape {
  let depth = 0;
  let verbAt = -1;
  for (let k = 0; k < tokens.length && verbAt === -1; k++) {
    const t = tokens[k]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && WRITE_VERBS.has(keywordOf(t) ?? '')) verbAt = k;
    else if (depth === 0 && keywordOf(t) === 'SELECT') break;
  }
  if (verbAt === -1) return { kind: 'other' };
  const verb = keywordOf(tokens[verbAt]) as 'INSERT' | 'UPDATE' | 'DELETE' | 'REPLACE';

  let i = verbAt + 1;
  if (isKeyword(tokens, i, 'OR')) i += 2; // INSERT OR IGNORE, UPDATE OR REPLACE ...
  if (isKeyword(tokens, i, 'INTO') || isKeyword(tokens, i, 'FROM')) i++;
  const table = readName(tokens, i);

  let hasWhere = false;
  depth = 0;
  for (let k = i; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && keywordOf(t) === 'WHERE') hasWhere = true;
  }
  return table ? { kind: 'write', verb, table: table.name, hasWhere } : { kind: 'write', verb, hasWhere };
}
