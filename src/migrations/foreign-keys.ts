/**
 * Foreign keys whose ON DELETE action changes child rows, read from CREATE TABLE tokens.
 *
 * D1 always enforces foreign keys and `PRAGMA foreign_keys = OFF` cannot be used inside its
 * transaction, so `DROP TABLE parent` (which SQLite runs as an implicit DELETE FROM) fires
 * CASCADE / SET NULL / SET DEFAULT on every child row: the classic table-recreation recipe
 * silently empties or orphans child tables. Lint needs to know which tables are such parents.
 */
import { identifierOf, isKeyword, isPunct, keywordOf, type Token } from './sql-tokens.js';

export type DestructiveAction = 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

export interface DestructiveReference {
  /** The table holding the REFERENCES clause. */
  child: string;
  parent: string;
  action: DestructiveAction;
  /** Where the REFERENCES keyword is. */
  file: string;
  line: number;
}

/**
 * Both forms: column-level `col INTEGER REFERENCES parent(id) ON DELETE CASCADE` and table-level
 * `FOREIGN KEY (col) REFERENCES parent(id) ON DELETE CASCADE`. Each clause runs from its REFERENCES
 * to the next comma at the column-list depth, the next REFERENCES, or the end of the list.
 */
export function destructiveReferences(child: string, tokens: readonly Token[], file: string): DestructiveReference[] {
  const open = tokens.findIndex((t) => isPunct(t, '('));
  if (open === -1) return []; // CREATE TABLE ... AS SELECT declares no constraints.
  const found: DestructiveReference[] = [];
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) {
      if (--depth === 0) break;
    } else if (keywordOf(t) === 'REFERENCES') {
      const parent = identifierOf(tokens[i + 1]);
      const action = parent === undefined ? undefined : onDeleteAction(tokens, i + 2, depth);
      if (parent !== undefined && action) found.push({ child, parent, action, file, line: t.line });
    }
  }
  return found;
}

function onDeleteAction(tokens: readonly Token[], from: number, clauseDepth: number): DestructiveAction | undefined {
  let depth = clauseDepth;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) {
      if (--depth < clauseDepth) return undefined;
    } else if (depth === clauseDepth && (isPunct(t, ',') || keywordOf(t) === 'REFERENCES')) return undefined;
    else if (depth === clauseDepth && isKeyword(tokens, i, 'ON') && isKeyword(tokens, i + 1, 'DELETE')) {
      const action = keywordOf(tokens[i + 2]);
      if (action === 'CASCADE') return 'CASCADE';
      if (action === 'SET' && isKeyword(tokens, i + 3, 'NULL')) return 'SET NULL';
      if (action === 'SET' && isKeyword(tokens, i + 3, 'DEFAULT')) return 'SET DEFAULT';
      return undefined;
    }
  }
  return undefined;
}
