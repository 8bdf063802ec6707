/**
 * Lint rules that need only one statement: what D1 rejects outright, and the single-statement
 * data-loss patterns. Rules spanning statements (table recreation, cascades) live in lint.ts.
 */
import type { Problem } from '../problems.js';
import { isCompleteStatement } from './split-statements.js';
import { tokenize } from './sql-tokens.js';
import type { ObjectName, StatementShape } from './statement-shape.js';
import type { SqlFile, Statement } from './types.js';

/** D1's PRAGMA allow-list (CLOUDFLARE.md); anything else fails with "not authorized". */
export const ALLOWED_PRAGMAS: ReadonlySet<string> = new Set([
  'data_version', 'page_size', 'foreign_keys', 'defer_foreign_keys', 'case_sensitive_like',
  'ignore_check_constraints', 'legacy_alter_table', 'recursive_triggers', 'reverse_unordered_selects',
  'foreign_key_check', 'foreign_key_list', 'index_info', 'index_list', 'index_xinfo', 'table_info',
  'table_xinfo', 'table_list', 'quick_check', 'optimize',
]);

export const ALLOWED_VIRTUAL_TABLE_MODULES: ReadonlySet<string> = new Set(['fts5', 'fts5vocab', 'rtree', 'rtree_i32']);

/** D1's per-statement limit ("Statement too long"). */
export const MAX_STATEMENT_BYTES = 100_000;

/** D1's limit on bound parameters per query. */
export const MAX_BOUND_PARAMETERS = 100;

const OFF_VALUES = new Set(['off', 'false', 'no', '0']);

/** Our ledger and wrangler's: a migration that touches them corrupts what we know was applied. */
export function isLedgerTable(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'd1_migrations' || lower.startsWith('promote_');
}

export interface StatementContext {
  file: SqlFile;
  statement: Statement;
  shape: StatementShape;
  isRollback: boolean;
}

export function lintStatement({ file, statement, shape, isRollback }: StatementContext): Problem[] {
  const problems: Problem[] = [];
  const at = (severity: Problem['severity'], code: string, message: string, hint: string, line = statement.line): void => {
    problems.push({ severity, code, message, file: file.path, line, hint });
  };

  if (!isCompleteStatement(statement.sql)) {
    at('error', 'E_INCOMPLETE_STATEMENT', 'statement is incomplete: an unclosed quote, or a CREATE TRIGGER without `END;`',
      'close the string or identifier, or end the trigger body with `END;`');
  }
  if (statement.bytes > MAX_STATEMENT_BYTES) {
    at('error', 'E_STATEMENT_TOO_LONG', `statement is ${statement.bytes} bytes; D1 rejects statements over ${MAX_STATEMENT_BYTES} bytes`,
      'split it, e.g. one INSERT per batch of rows');
  }
  const placeholders = tokenize(statement.sql, statement.line).filter((t) => t.kind === 'param');
  if (placeholders.length > 0) {
    // Nothing binds values to a migration's placeholders; past D1's limit it could not even be sent.
    at('error', 'E_STATEMENT_PARAMETERS',
      `statement has ${placeholders.length} parameter placeholder(s) (${placeholders[0]!.text}${placeholders.length > 1 ? ', ...' : ''}); a migration binds no values${placeholders.length > MAX_BOUND_PARAMETERS ? `, and D1 allows at most ${MAX_BOUND_PARAMETERS} bound parameters per query` : ''}`,
      'write the values into the SQL as literals', placeholders[0]!.line);
  }

  switch (shape.kind) {
    case 'transaction':
      at('error', 'E_TRANSACTION_STATEMENT', `${shape.keyword} is rejected by D1: migrations cannot control transactions`,
        'remove it: each migration already runs in one transaction; use PRAGMA defer_foreign_keys = on for FK ordering');
      break;
    case 'attach':
      at('error', 'E_ATTACH', `${shape.keyword} is never allowed on D1`, 'remove it: a D1 database cannot reach other databases');
      break;
    case 'pragma':
      lintPragma(shape.name, shape.value, at);
      break;
    case 'create':
      if (shape.virtualModule !== undefined && !ALLOWED_VIRTUAL_TABLE_MODULES.has(shape.virtualModule.toLowerCase())) {
        at('error', 'E_VIRTUAL_TABLE_MODULE', `virtual table module '${shape.virtualModule}' is not available on D1`,
          `use one of ${[...ALLOWED_VIRTUAL_TABLE_MODULES].join(', ')}`);
      }
      reservedName(shape.name, at);
      if (shape.objectType === 'table' && isLedgerTable(shape.name.name)) ledger('creates', shape.name, at);
      if (shape.onTable && isLedgerTable(shape.onTable.name)) ledger(`creates a ${shape.objectType} on`, shape.onTable, at);
      break;
    case 'drop':
      if (shape.objectType === 'table' && isLedgerTable(shape.name.name)) ledger('drops', shape.name, at);
      break;
    case 'alter-table':
      if (isLedgerTable(shape.name.name)) ledger('alters', shape.name, at);
      if (shape.newName) {
        reservedName(shape.newName, at);
        if (isLedgerTable(shape.newName.name)) ledger('renames a table to', shape.newName, at);
      }
      if (shape.action === 'drop-column' && !isRollback) {
        at('warning', 'W_DROP_COLUMN', `ALTER TABLE ${shape.name.name} DROP COLUMN deletes that column's data`,
          'make sure nothing reads the column any more and that its data is backed up or no longer needed');
      }
      break;
    case 'write':
      if (shape.table && isLedgerTable(shape.table.name)) ledger(`writes (${shape.verb}) to`, shape.table, at);
      if (shape.verb === 'DELETE' && !shape.hasWhere) {
        at('warning', 'W_DELETE_WITHOUT_WHERE', `DELETE FROM ${shape.table?.name ?? '?'} has no WHERE clause and deletes every row`,
          'add a WHERE clause, or confirm that emptying the table is intended');
      }
      break;
    case 'other':
      break;
  }
  return problems;
}

type Report = (severity: Problem['severity'], code: string, message: string, hint: string, line?: number) => void;

function lintPragma(name: string, value: string | undefined, at: Report): void {
  const lower = name.toLowerCase();
  if (!ALLOWED_PRAGMAS.has(lower)) {
    at('error', 'E_PRAGMA_NOT_ALLOWED', `PRAGMA ${name} is not on D1's allow-list ("not authorized")`,
      lower === 'user_version' ? 'remove it: the migration ledger already records which migrations ran' : 'remove it');
  } else if (lower === 'foreign_keys' && value !== undefined && OFF_VALUES.has(value.toLowerCase())) {
    at('warning', 'W_FOREIGN_KEYS_OFF', 'PRAGMA foreign_keys = OFF does nothing inside a transaction, and D1 always enforces foreign keys',
      'use PRAGMA defer_foreign_keys = on, which postpones FK checks to the end of the migration');
  }
}

function reservedName(name: ObjectName, at: Report): void {
  if (name.name.toLowerCase().startsWith('_cf_')) {
    at('error', 'E_RESERVED_NAME', `'${name.name}': names starting with _cf_ are reserved by Cloudflare`, 'choose another name', name.line);
  }
}

function ledger(what: string, name: ObjectName, at: Report): void {
  at('error', 'E_LEDGER_TABLE', `migration ${what} '${name.name}', a migration ledger table (d1_migrations, promote_*)`,
    'remove it: promote and wrangler own these tables; rename your table if the name clashes', name.line);
}
