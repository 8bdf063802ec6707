/**
 * Undoing migrations with their .rollback.sql files, newest first, each with
 * the removal of its ledger and metadata rows, all in one transaction: the
 * database ends exactly where it was before them, or nothing changes.
 */
import type { Migration } from '../migrations/types.js';
import type { D1Connection, SqlStatement } from '../d1/connection.js';
import { OutcomeUnknownError } from '../errors.js';
import { META_TABLE, quoteIdent, readDatabaseState } from './ledger.js';

export function missingRollbacks(migrations: readonly Migration[]): Migration[] {
  return migrations.filter((m) => !m.rollback);
}

export function downMigrationStatements(applied: readonly Migration[], ledgerTable: string): SqlStatement[] {
  return [...applied]
    .sort((a, b) => b.number - a.number)
    .flatMap((m) => {
      if (!m.rollback) throw new Error(`${m.name} has no rollback file`);
      return [
        { sql: 'PRAGMA defer_foreign_keys = on' },
        ...m.rollback.statements.map((s) => ({ sql: s.sql })),
        { sql: `DELETE FROM ${quoteIdent(ledgerTable)} WHERE name = ?`, params: [m.name] },
        { sql: `DELETE FROM ${META_TABLE} WHERE name = ?`, params: [m.name] },
      ];
    });
}

/**
 * Down migrations travel as one transaction. When no answer comes back, the
 * ledger tells whether it committed (their rows are gone) before anything is
 * sent again.
 */
export async function runDownMigrations(a: { conn: D1Connection; ledgerTable: string; migrations: Migration[] }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await a.conn.batch(downMigrationStatements(a.migrations, a.ledgerTable));
      return;
    } catch (e) {
      if (!(e instanceof OutcomeUnknownError) || attempt >= 3) throw e;
      const ledger = new Set((await readDatabaseState(a.conn, a.ledgerTable)).ledger.map((r) => r.name));
      if (a.migrations.every((m) => !ledger.has(m.name))) return;
    }
  }
}
