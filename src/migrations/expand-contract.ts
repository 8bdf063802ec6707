/**
 * Expand or contract: can the previous Worker version still run against the schema after this
 * migration? During a gradual rollout two versions serve one database, so only migrations that
 * add (expand) are safe; one that removes or reshapes what old code uses (contract) must wait for
 * a later release, after the code stops using the old shape.
 *
 * Pure, from the statement tokenizer and shapes that lint uses. Not a SQL parser: a statement it
 * does not recognise counts as expand only when it cannot change the shape (writes, pragmas,
 * transactions); an ALTER TABLE it cannot read counts as contract.
 */
import { isPunct, keywordOf, tokenize, type Token } from './sql-tokens.js';
import { sameName, shapeOf } from './statement-shape.js';
import type { Migration, Statement } from './types.js';

export type MigrationClass = 'expand' | 'contract';

export interface ContractReason {
  /** 1-based line in the migration file. */
  line: number;
  reason: string;
}

export interface MigrationClassification {
  name: string;
  path: string;
  class: MigrationClass;
  /** Why it is a contract migration (empty for expand). */
  reasons: ContractReason[];
}

export function classifyMigration(migration: Pick<Migration, 'name' | 'path' | 'statements'>): MigrationClassification {
  const reasons = contractReasons(migration.statements);
  return { name: migration.name, path: migration.path, class: reasons.length > 0 ? 'contract' : 'expand', reasons };
}

/** Every statement that makes the statements a contract migration, in order. */
export function contractReasons(statements: readonly Statement[]): ContractReason[] {
  const reasons: ContractReason[] = [];
  const parsed = statements.map((s) => ({ statement: s, tokens: tokenize(s.sql, s.line) }));
  const created = new Set<string>();
  const dropped = new Map<string, number>();
  for (const { statement, tokens } of parsed) {
    const shape = shapeOf(tokens);
    const line = statement.line;
    switch (shape.kind) {
      case 'create':
        if (shape.objectType === 'table') created.add(shape.name.name.toLowerCase());
        break;
      case 'drop':
        if (shape.objectType === 'table') {
          dropped.set(shape.name.name.toLowerCase(), line);
          // A table made earlier in this migration and dropped again (a scratch table) removes nothing old.
          if (!created.has(shape.name.name.toLowerCase())) reasons.push({ line, reason: `drops table ${shape.name.name}` });
        } else if (shape.objectType === 'view') {
          reasons.push({ line, reason: `drops view ${shape.name.name}` });
        }
        break;
      case 'alter-table': {
        const table = shape.name.name;
        if (shape.action === 'rename-table') {
          const to = shape.newName?.name;
          // CREATE new_t; copy; DROP t; ALTER TABLE new_t RENAME TO t: SQLite's way of reshaping a table.
          if (to && dropped.has(to.toLowerCase()) && created.has(table.toLowerCase())) {
            const recreated = reasons.findIndex((r) => r.reason === `drops table ${to}`);
            if (recreated >= 0) reasons.splice(recreated, 1);
            reasons.push({ line: dropped.get(to.toLowerCase())!, reason: `recreates table ${to}${recreationDetail(parsed, table)}` });
          } else if (!created.has(table.toLowerCase())) {
            reasons.push({ line, reason: `renames table ${table}${to ? ` to ${to}` : ''}` });
          }
        } else if (shape.action === 'rename-column') {
          reasons.push({ line, reason: `renames a column of ${table}` });
        } else if (shape.action === 'drop-column') {
          reasons.push({ line, reason: `drops a column of ${table}` });
        } else if (shape.action === 'add-column') {
          if (isNotNullWithoutDefault(tokens)) reasons.push({ line, reason: `adds a NOT NULL column without a default to ${table}` });
        } else {
          reasons.push({ line, reason: `changes table ${table} in a way promote cannot read` });
        }
        break;
      }
      default:
        break;
    }
  }
  return reasons.sort((a, b) => a.line - b.line);
}

/** What the new definition of a recreated table adds that old code may break: NOT NULL without default, CHECK. */
function recreationDetail(parsed: readonly { tokens: Token[] }[], newTable: string): string {
  const create = parsed.find(({ tokens }) => {
    const shape = shapeOf(tokens);
    return shape.kind === 'create' && shape.objectType === 'table' && sameName(shape.name.name, newTable);
  });
  if (!create) return '';
  const columns = columnDefinitions(create.tokens);
  const details: string[] = [];
  if (columns.some(isNotNullWithoutDefault)) details.push('a NOT NULL column without a default');
  if (create.tokens.some((t) => keywordOf(t) === 'CHECK')) details.push('a CHECK (narrower than before?)');
  return details.length > 0 ? ` (with ${details.join(' and ')})` : '';
}

/** The comma-separated items inside the outermost parentheses of CREATE TABLE. */
function columnDefinitions(tokens: readonly Token[]): Token[][] {
  const items: Token[][] = [];
  let depth = 0;
  let current: Token[] = [];
  for (const t of tokens) {
    if (isPunct(t, '(')) {
      depth++;
      if (depth === 1) continue;
    } else if (isPunct(t, ')')) {
      depth--;
      if (depth === 0) {
        items.push(current);
        current = [];
        continue;
      }
    } else if (depth === 1 && isPunct(t, ',')) {
      items.push(current);
      current = [];
      continue;
    }
    if (depth >= 1) current.push(t);
  }
  return items.filter((i) => i.length > 0);
}

/** NOT NULL at the top level of a column definition and no DEFAULT: old code's inserts that omit it fail. */
function isNotNullWithoutDefault(tokens: readonly Token[]): boolean {
  let depth = 0;
  let notNull = false;
  let hasDefault = false;
  let generated = false;
  tokens.forEach((t, i) => {
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0) {
      const k = keywordOf(t);
      if (k === 'NOT' && keywordOf(tokens[i + 1]) === 'NULL') notNull = true;
      if (k === 'DEFAULT') hasDefault = true;
      // A generated column or a table constraint (PRIMARY KEY(...)) is never written by inserts.
      if (k === 'AS' || k === 'GENERATED') generated = true;
    }
  });
  const first = keywordOf(tokens[0]);
  const tableConstraint = first === 'PRIMARY' || first === 'UNIQUE' || first === 'CHECK' || first === 'FOREIGN' || first === 'CONSTRAINT';
  const rowidAlias = tokens.some((t, i) => keywordOf(t) === 'PRIMARY' && keywordOf(tokens[i + 1]) === 'KEY');
  return notNull && !hasDefault && !generated && !tableConstraint && !rowidAlias;
}
