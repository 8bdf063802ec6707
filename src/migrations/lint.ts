/**
 * Lints migrations (forward and rollback files) for what D1 rejects and for silent data loss.
 *
 * Table-level rules replay the migrations in order, tracking which tables are referenced
 * ON DELETE CASCADE / SET NULL / SET DEFAULT, so a DROP TABLE is judged against the schema
 * that exists when it runs: a reference declared in a later migration, or a child table
 * dropped earlier, does not count. A rollback of migration N runs against the schema after N.
 */
import type { Problem } from '../problems.js';
import { destructiveReferences, type DestructiveReference } from './foreign-keys.js';
import { tokenize, isPunct } from './sql-tokens.js';
import { sameName, shapeOf, type StatementShape } from './statement-shape.js';
import { lintStatement } from './statement-rules.js';
import type { Migration, SqlFile, Statement } from './types.js';

interface Parsed {
  statement: Statement;
  shape: StatementShape;
}

export function lintMigrations(migrations: Migration[]): Problem[] {
  const problems: Problem[] = [];
  let references: DestructiveReference[] = [];
  const ordered = [...migrations].sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
  for (const migration of ordered) {
    const forward = lintFile(migration, false, references);
    problems.push(...forward.problems);
    references = forward.references;
    if (migration.rollback) problems.push(...lintFile(migration.rollback, true, references).problems);
  }
  return problems;
}

/** Lints one file against the references in force before it; returns those in force after it. */
function lintFile(
  file: SqlFile,
  isRollback: boolean,
  before: readonly DestructiveReference[],
): { problems: Problem[]; references: DestructiveReference[] } {
  const problems: Problem[] = [];
  let references = [...before];
  const parsed: Parsed[] = file.statements.map((statement) => ({ statement, shape: shapeOf(tokenize(statement.sql, statement.line)) }));

  parsed.forEach(({ statement, shape }, index) => {
    problems.push(...lintStatement({ file, statement, shape, isRollback }));
    if (shape.kind === 'create' && shape.objectType === 'table') {
      references.push(...destructiveReferences(shape.name.name, shape.tokens, file.path));
    } else if (shape.kind === 'drop' && shape.objectType === 'table') {
      const dropped = shape.name.name;
      const problem = dropTableProblem(file, statement, dropped, parsed.slice(index + 1), references, isRollback);
      if (problem) problems.push(problem);
      // The child's own references go with it; references to it stay, as SQLite leaves them dangling
      // until a table of that name exists again (the recreation's RENAME).
      references = references.filter((r) => !sameName(r.child, dropped));
    } else if (shape.kind === 'alter-table' && shape.action === 'rename-table' && shape.newName) {
      const from = shape.name.name;
      const to = shape.newName.name;
      // With legacy_alter_table off (the default), SQLite rewrites children's REFERENCES to the new name.
      references = references.map((r) => ({
        ...r,
        child: sameName(r.child, from) ? to : r.child,
        parent: sameName(r.parent, from) ? to : r.parent,
      }));
    }
  });

  const missing = missingFinalSemicolon(file);
  if (missing) problems.push(missing);
  return { problems, references };
}

/**
 * One finding per DROP TABLE, the most specific that applies: child rows changed by a cascade,
 * then table recreation, then a plain drop. In rollback files a plain drop is expected (it undoes
 * a CREATE TABLE), so it is not reported; cascades and recreation still are.
 */
function dropTableProblem(
  file: SqlFile,
  statement: Statement,
  table: string,
  after: readonly Parsed[],
  references: readonly DestructiveReference[],
  isRollback: boolean,
): Problem | undefined {
  const rename = after.find(
    ({ shape }) => shape.kind === 'alter-table' && shape.action === 'rename-table' && shape.newName && sameName(shape.newName.name, table),
  );
  const base = { severity: 'warning' as const, file: file.path, line: statement.line };
  const children = references.filter((r) => sameName(r.parent, table) && !sameName(r.child, table));

  if (children.length > 0) {
    const listed = unique(children.map((r) => `${r.child} (ON DELETE ${r.action}, declared at ${r.file}:${r.line})`));
    const how = rename ? `recreating table ${table} (DROP here, RENAME at line ${rename.statement.line})` : `DROP TABLE ${table}`;
    return {
      ...base,
      code: 'W_CASCADE_ON_DROP',
      message:
        `${how} changes rows of tables that reference it: ${listed.join('; ')}. ` +
        'D1 always enforces foreign keys, so the drop runs those ON DELETE actions on every child row',
      files: unique([file.path, ...children.map((r) => r.file)]),
      hint:
        'copy the child rows aside before the DROP and restore them after (INSERT INTO child SELECT ...), or avoid ' +
        'recreating the table (ALTER TABLE ... ADD/RENAME/DROP COLUMN); PRAGMA foreign_keys = OFF does not work on D1',
    };
  }
  if (rename) {
    return {
      ...base,
      code: 'W_TABLE_RECREATION',
      message: `table ${table} is recreated (DROP here, RENAME TO ${table} at line ${rename.statement.line}); rows not copied into the new table are lost`,
      hint: 'check that the INSERT ... SELECT copies every column and row, and that indexes, triggers and views are recreated',
    };
  }
  if (isRollback) return undefined;
  return {
    ...base,
    code: 'W_DROP_TABLE',
    message: `DROP TABLE ${table} deletes the table and all its rows`,
    hint: 'make sure nothing uses the table any more and that its data is backed up or no longer needed',
  };
}

/** wrangler appends `\nINSERT INTO d1_migrations ...` to the file, which fails after an unterminated statement. */
function missingFinalSemicolon(file: SqlFile): Problem | undefined {
  const last = file.statements.at(-1);
  const tokens = tokenize(file.sql);
  if (!last || isPunct(tokens.at(-1), ';')) return undefined;
  return {
    severity: 'warning',
    code: 'W_MISSING_SEMICOLON',
    message: 'the last statement has no terminating semicolon; `wrangler d1 migrations apply` appends an INSERT to the file and would fail with a syntax error',
    file: file.path,
    line: last.endLine,
    hint: 'end the statement with ;',
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
