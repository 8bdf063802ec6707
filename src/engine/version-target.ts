/**
 * Version targets (`migrate --to <NNNN>`, `rollback --to <NNNN>`), planned
 * without I/O: which files a database applies up to NNNN, and which applied
 * migrations above NNNN it undoes (newest first) with which rollback files.
 * A migration "at or below NNNN" is one whose number is <= NNNN, so 0000
 * (when no file is numbered 0000) means "before every migration".
 */
import type { Problem } from '../problems.js';
import type { Migration } from '../migrations/types.js';
import { parseMigrationName } from '../migrations/index.js';
import type { ObservedDatabase } from './observe.js';

export interface VersionTarget {
  /** As typed, e.g. "0003". */
  text: string;
  number: number;
}

export type TargetResolution = { ok: true; target: VersionTarget } | { ok: false; problem: Problem };

/**
 * NNNN must be the number of a migration file of the environment's databases;
 * for a rollback, 0 (any number of zeros) also means "undo every migration".
 * Anything else is refused with the nearest versions that do exist.
 */
export function resolveVersionTarget(raw: string, files: readonly Migration[], o: { command: 'migrate' | 'rollback'; environment: string }): TargetResolution {
  const refuse = (message: string, hint: string): TargetResolution => ({ ok: false, problem: { severity: 'error', code: 'E_VERSION_TARGET', file: '--to', message, hint } });
  const text = raw.trim();
  if (!/^\d{1,12}$/.test(text)) {
    return refuse(`--to ${raw}: expected a migration number like 0003`, `name a migration by its number (promote status --env ${o.environment} lists them)${o.command === 'rollback' ? ', or 0000 to undo every migration' : ''}`);
  }
  const number = Number(text);
  if (files.some((m) => m.number === number)) return { ok: true, target: { text, number } };
  if (number === 0 && o.command === 'rollback') return { ok: true, target: { text, number } };
  const sorted = [...new Map(files.map((m) => [m.number, m])).values()].sort((a, b) => a.number - b.number);
  const newest = sorted.at(-1);
  if (!newest) return refuse(`--to ${text}: there are no migration files`, o.command === 'rollback' ? 'use --to 0000 to undo every applied migration' : 'create one with promote new <slug>');
  if (number > newest.number) {
    return refuse(`--to ${text} is beyond the newest migration, ${newest.name}`, `use --to ${newest.id} (the newest)${o.command === 'rollback' ? ', or a lower number to undo the migrations above it' : ''}`);
  }
  const below = sorted.filter((m) => m.number < number).at(-1);
  const above = sorted.find((m) => m.number > number);
  const nearest = [below, above].filter((m): m is Migration => m !== undefined).map((m) => `${m.id} (${m.name})`);
  return refuse(`--to ${text} names no migration file`, `the nearest versions are ${nearest.join(' and ')}${o.command === 'rollback' ? '; 0000 undoes every migration' : ''}`);
}

/** What `migrate --to` applies: the pending files at or below the target, in order. */
export function pendingUpTo(pending: readonly Migration[], target: VersionTarget | undefined): Migration[] {
  return target ? pending.filter((m) => m.number <= target.number) : [...pending];
}

export interface DatabaseRollbackPlan {
  binding: string;
  ledgerTable: string;
  /** Applied above the target, newest first (reverse order of application), each with its rollback file. */
  undo: Migration[];
  /** Applied at or below the target, in the order they were applied: what stays. */
  kept: string[];
  problems: Problem[];
}

/**
 * `rollback --to`: every migration the ledger holds above the target, newest
 * first. Refused (problems) when one has no rollback file, no file at all,
 * or a file that changed since it was applied: its rollback file would not
 * undo what the database holds.
 */
export function planRollbackTo(d: ObservedDatabase, target: VersionTarget, environment: string): DatabaseRollbackPlan {
  const where = `${environment}/${d.binding}`;
  const byName = new Map(d.migrations.map((m) => [m.name, m]));
  const drift = new Map(d.plan.drift.map((x) => [x.name, x]));
  const renamed = new Map(d.plan.renamed.map((r) => [r.from, r]));
  // Newest first: the ledger's id order is the order they were applied in.
  const rows = [...d.state.ledger].sort((a, b) => b.id - a.id);
  const above = rows.filter((r) => (parseMigrationName(r.name)?.number ?? Number.POSITIVE_INFINITY) > target.number);
  const kept = rows.filter((r) => !above.includes(r)).map((r) => r.name).reverse();
  const problems: Problem[] = [];
  const undo: Migration[] = [];
  for (const row of above) {
    const file = byName.get(row.name);
    const path = `${d.migrationsDir}/${row.name}`;
    if (!file) {
      const r = renamed.get(row.name);
      problems.push({
        severity: 'error',
        code: 'E_ROLLBACK_NO_FILE',
        file: path,
        message: r
          ? `${row.name} is applied to ${where} under its old name (now ${r.to.name}): the ledger must name it before it can be undone`
          : `${row.name} is applied to ${where} but its file is gone${d.plan.retired.includes(row.name) ? ' (retired)' : ''}, so there is no rollback file to undo it with`,
        hint: r ? `record the new name first: promote repair --env ${environment}` : `restore ${path} and its rollback file, or roll back with a bookmark (promote rollback --env ${environment} --bookmark <id>)`,
      });
      continue;
    }
    if (drift.get(row.name)?.reason === 'checksum changed') {
      problems.push({
        severity: 'error',
        code: 'E_ROLLBACK_DRIFT',
        file: path,
        message: `${row.name} changed after it was applied to ${where}: its rollback file may not undo what the database holds`,
        hint: `restore the file as it was applied (git checkout it), or if the edit changes nothing in the database: promote repair --env ${environment} --accept-checksum ${row.name}`,
      });
      continue;
    }
    if (!file.rollback) {
      problems.push({
        severity: 'error',
        code: 'E_ROLLBACK_FILE_MISSING',
        file: path,
        message: `${row.name} is applied to ${where} above --to ${target.text} and has no rollback file`,
        hint: `write ${d.migrationsDir}/rollback/${row.name.replace(/\.sql$/, '.rollback.sql')} (the SQL that undoes it), or roll back with a bookmark (promote rollback --env ${environment} --bookmark <id>)`,
      });
      continue;
    }
    undo.push(file);
  }
  return { binding: d.binding, ledgerTable: d.ledgerTable, undo, kept, problems };
}
