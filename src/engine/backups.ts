/**
 * Backups of an environment's databases, taken through its handle and proven
 * by restoring them: `promote backup`, `promote backup verify` and a stage's
 * `backup: true` all go through here. One file per database:
 * .promote/backups/<env>/<run>-<binding>.sql unless --out names another place.
 *
 * local: promote's dump through the D1 connection (rows and counts in one
 * read). cloudflare: D1's export API, then the counts from a read of the same
 * database right after it; a write landing between the two shows up as a count
 * mismatch when the backup is verified (against the header), never silently.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { RunError } from '../errors.js';
import { PROMOTE_DIR } from '../private-files.js';
import { BACKUP_FORMAT, parseBackup, renderBackupHeader, type BackupHeader } from '../backup/backup-file.js';
import { dumpDatabase, readCensus } from '../backup/dump.js';
import { verifyBackup, type BackupVerdict } from '../backup/verify-backup.js';
import { fingerprintDigest } from '../schema/fingerprint.js';
import { LOCK_TABLE } from '../ledger/lease.js';
import { splitStatements } from '../migrations/split-statements.js';
import type { EnvironmentHandle, HandleDatabase } from '../targets/environment-handle.js';
import { openScratchDatabase } from '../targets/local/scratch-engine.js';
import { localEnvironmentPaths, localStateExists } from '../targets/local/local-environment.js';
import type { LoadedEnvironment } from '../config/schema.js';

export function backupDir(root: string, environment: string): string {
  return join(root, PROMOTE_DIR, 'backups', environment);
}

export function defaultBackupFile(root: string, environment: string, runId: string, binding: string): string {
  return join(backupDir(root, environment), `${runId}-${binding}.sql`);
}

/** A local environment nothing ever ran in has no databases to dump (opening it would create them). */
export function neverStarted(root: string, env: LoadedEnvironment): boolean {
  return env.config.target === 'local' && !localStateExists(localEnvironmentPaths(root, env.name, env.config));
}

export interface TakenBackup {
  binding: string;
  file: string;
  header: BackupHeader;
}

/** Dumps one database and writes it (private, atomically) to `file`. */
export async function takeBackup(h: EnvironmentHandle, db: HandleDatabase, runId: string, file: string, signal?: AbortSignal): Promise<TakenBackup> {
  const takenAt = new Date().toISOString();
  let sql: string;
  let census;
  if (h.exportSql) {
    sql = withoutLeaseRows(await h.exportSql(db, signal));
    census = await readCensus(db.conn, signal);
  } else {
    ({ sql, census } = await dumpDatabase(db.conn, signal));
  }
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    environment: h.env.name,
    binding: db.binding,
    database: db.databaseId ?? db.conn.label,
    runId,
    takenAt,
    source: h.exportSql ? 'd1-export' : 'local-dump',
    fingerprint: fingerprintDigest(census.fingerprint),
    schema: census.fingerprint.objects,
    rows: census.rows,
  };
  await writeFileAtomic(file, `${renderBackupHeader(header)}${sql.endsWith('\n') ? sql : `${sql}\n`}`);
  return { binding: db.binding, file, header };
}

/**
 * The export holds the lease row of the run taking it (the stage is locked): restored, it would lock
 * the restored database, so it is cut, as the local dump never writes it.
 */
function withoutLeaseRows(sql: string): string {
  const lease = new RegExp(`^INSERT\\s+INTO\\s+"?${LOCK_TABLE}"?[\\s(]`, 'i');
  let out = sql;
  for (const s of splitStatements(sql)) if (lease.test(s.sql)) out = out.replace(`${s.sql};`, '');
  return out;
}

/** Restores `file` into the database's scratch twin and compares (with `db` itself while it still has the dump's schema). */
export async function verifyBackupFile(file: string, db: HandleDatabase | undefined, scratch: Parameters<typeof verifyBackup>[1], signal?: AbortSignal): Promise<BackupVerdict> {
  const parsed = parseBackup(await readFile(file, 'utf8'));
  if (!parsed.ok) throw new RunError(`${file} is not a promote backup: ${parsed.what}`, 'make one with: promote backup --env <environment>');
  return verifyBackup(parsed, scratch, db?.conn, signal);
}

/** A parsed backup checked against its own header, on a scratch database of this process (no environment needed). */
export async function verifyAgainstHeader(backup: Parameters<typeof verifyBackup>[0], root: string, signal?: AbortSignal): Promise<BackupVerdict> {
  const scratch = await openScratchDatabase(root);
  try {
    return await verifyBackup(backup, scratch.db, undefined, signal);
  } finally {
    await scratch.dispose();
  }
}

/**
 * A stage's `backup: true`: every database dumped, then each file restored on a
 * scratch database and compared with its header (what was read when it was
 * dumped; not the live database, which the application may write to meanwhile
 * without the backup being wrong). A backup that does not prove itself stops
 * the stage before anything is migrated. A file this run already
 * wrote (a resumed run) is verified again, not taken again.
 */
export async function backupBeforeMigrating(h: EnvironmentHandle, root: string, runId: string, signal?: AbortSignal): Promise<string[]> {
  const files: string[] = [];
  for (const db of h.databases) {
    const file = defaultBackupFile(root, h.env.name, runId, db.binding);
    if (!existsSync(file)) await takeBackup(h, db, runId, file, signal);
    let verdict = await verifyBackupFile(file, undefined, await db.scratch(), signal);
    // A D1 export and the count read after it are two reads: an application write between them
    // is a mismatch that a second export (the lock keeps migrations out) does not repeat.
    if (verdict.problems.length > 0 && verdict.header.source === 'd1-export') {
      await takeBackup(h, db, runId, file, signal);
      verdict = await verifyBackupFile(file, undefined, await db.scratch(), signal);
    }
    if (verdict.problems.length > 0) {
      throw new RunError(
        `the backup of ${db.conn.label} (${file}) does not restore to what the database holds, so nothing was migrated: ${verdict.problems.join('; ')}`,
        'run again to take a new backup (delete the file first), or set backup: false on the stage to migrate without one',
      );
    }
    files.push(file);
  }
  return files;
}
