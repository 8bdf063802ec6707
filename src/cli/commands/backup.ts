/**
 * `promote backup --env <env> [--database <b>] [--out <path>]`: a SQL dump of
 * each database, proven by restoring it on a scratch database before the
 * command ends. `promote backup verify <file> [--env <env>]`: restore a dump
 * and compare it with its source (or its header's numbers); exit 1 naming
 * every table that differs, 2 for a file that is not a promote backup.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseBackup } from '../../backup/backup-file.js';
import { verifyBackup, type BackupVerdict } from '../../backup/verify-backup.js';
import { defaultBackupFile, neverStarted, takeBackup, verifyAgainstHeader, verifyBackupFile, type TakenBackup } from '../../engine/backups.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { openEnvironment } from '../../engine/open-environment.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { InvalidInputError } from '../../errors.js';
import { newRunId } from '../../runs/run-id.js';
import type { EnvironmentHandle } from '../../targets/environment-handle.js';
import type { CommandContext } from '../command-context.js';
import { paint, type Output } from '../output.js';
import { withProjectSecrets } from '../settings.js';

export async function run(ctx: CommandContext<'backup'>): Promise<number> {
  const [sub, file, ...extra] = ctx.positionals;
  if (sub === undefined) return take(ctx);
  if (sub !== 'verify') throw new InvalidInputError([], `promote backup ${sub}: unknown; use promote backup --env <env>, or promote backup verify <file>`);
  if (!file || extra.length > 0) throw new InvalidInputError([], 'promote backup verify takes one file: promote backup verify <file> [--env <env>]');
  if (ctx.values.out !== undefined || ctx.values.database !== undefined) throw new InvalidInputError([], 'promote backup verify takes only <file> and --env');
  return verify(ctx, resolve(ctx.root, file));
}

const rowsOf = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);

async function take({ root, output, env, settings: base, values }: CommandContext<'backup'>): Promise<number> {
  if (!values.env) throw new InvalidInputError([], 'promote backup needs --env <environment>');
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  const target = selectEnvironment(ws.project, values.env, '--env');
  const runId = newRunId();
  if (neverStarted(root, target)) {
    throw new InvalidInputError([
      { severity: 'error', code: 'E_NOTHING_TO_BACK_UP', file: target.file, message: `${target.name} has no databases yet: nothing ever ran in it, so there is nothing to back up`, hint: `promote migrate --env ${target.name} (or a promotion) creates them` },
    ]);
  }
  const { handle } = await openEnvironment(ws, target, settings, true);
  try {
    const selected = handle.databases.filter((d) => values.database === undefined || d.binding === values.database);
    if (selected.length === 0) {
      throw new InvalidInputError([
        { severity: 'error', code: 'E_UNKNOWN_DATABASE', file: target.file, message: `--database ${values.database}: ${target.name} has no such binding`, hint: `use one of: ${handle.databases.map((d) => d.binding).join(', ')}` },
      ]);
    }
    const fileOf = outFiles(root, values.out, target.name, runId, selected.map((d) => d.binding));
    if (handle.note) output.err(paint(output, 'yellow', `note: ${handle.note}`));
    const taken: { backup: TakenBackup; verdict: BackupVerdict }[] = [];
    for (const db of selected) {
      const backup = await takeBackup(handle, db, runId, fileOf(db.binding));
      // Proven before the command says it is done: restored on scratch, compared with what was read.
      const verdict = await verifyBackupFile(backup.file, undefined, await db.scratch());
      taken.push({ backup, verdict });
    }
    const failed = taken.filter((t) => t.verdict.problems.length > 0);
    if (output.json) {
      output.out(JSON.stringify({ type: 'backup', environment: target.name, runId, ok: failed.length === 0, files: taken.map(({ backup, verdict }) => ({ binding: backup.binding, file: backup.file, rows: backup.header.rows, fingerprint: backup.header.fingerprint, problems: verdict.problems })) }));
    } else {
      for (const { backup, verdict } of taken) {
        const where = `${target.name}/${backup.binding}`;
        const counts = `${Object.keys(backup.header.rows).length} table(s), ${rowsOf(backup.header.rows)} row(s)`;
        if (verdict.problems.length === 0) output.out(`${paint(output, 'green', '✓')} ${where}: ${counts} -> ${backup.file} (restored on a scratch database: same schema and row counts)`);
        else reportProblems(output, backup.file, verdict);
      }
    }
    return failed.length > 0 ? 1 : 0;
  } finally {
    await handle.dispose();
  }
}

/**
 * Where each database's dump goes. Without --out: .promote/backups/<env>/<run>-<binding>.sql.
 * --out is a file when one database is dumped, else a folder (existing, or ending in /);
 * an existing file is never overwritten.
 */
function outFiles(root: string, out: string | undefined, envName: string, runId: string, bindings: readonly string[]): (binding: string) => string {
  if (out === undefined) return (b) => defaultBackupFile(root, envName, runId, b);
  const path = resolve(root, out);
  const isDir = out.endsWith('/') || (existsSync(path) && statSync(path).isDirectory());
  if (isDir) return (b) => join(path, `${envName}-${b}-${runId}.sql`);
  if (bindings.length > 1) {
    throw new InvalidInputError([], `--out ${out}: ${envName} has ${bindings.length} databases (${bindings.join(', ')}); pass a folder (--out ${out.replace(/\.sql$/, '')}/) for one file each, or --database <binding> for one`);
  }
  if (existsSync(path)) throw new InvalidInputError([], `--out ${out}: the file exists; promote never overwrites a backup: pick another name or remove it`);
  return () => path;
}

async function verify({ root, output, env, settings: base, values }: CommandContext<'backup'>, file: string): Promise<number> {
  if (!existsSync(file)) throw new InvalidInputError([{ severity: 'error', code: 'E_BACKUP_MISSING', file, message: `${file}: no such file`, hint: 'pass the path of a file promote backup wrote (.promote/backups/<env>/)' }]);
  const parsed = parseBackup(await readFile(file, 'utf8'));
  if (!parsed.ok) {
    throw new InvalidInputError([
      { severity: 'error', code: 'E_NOT_A_BACKUP', file, message: `${file} is not a promote backup: ${parsed.what}`, hint: 'make one with: promote backup --env <environment> (then promote backup verify checks it)' },
    ]);
  }
  let handle: EnvironmentHandle | undefined;
  try {
    let verdict: BackupVerdict;
    if (values.env !== undefined) {
      const ws = await loadWorkspace(root, env);
      const target = selectEnvironment(ws.project, values.env, '--env');
      ({ handle } = await openEnvironment(ws, target, withProjectSecrets(base, ws.project), true));
      const db = handle.databases.find((d) => d.binding === parsed.header.binding);
      if (!db) {
        throw new InvalidInputError([
          { severity: 'error', code: 'E_UNKNOWN_DATABASE', file: target.file, message: `${file} is a backup of binding ${parsed.header.binding}; ${target.name} has no such database`, hint: `pass the environment it came from (${parsed.header.environment}), or leave out --env to compare with the file's header` },
        ]);
      }
      verdict = await verifyBackup(parsed, await db.scratch(), db.conn);
    } else {
      verdict = await verifyAgainstHeader(parsed, root);
    }
    if (output.json) {
      output.out(JSON.stringify({ type: 'backup-verify', file, ok: verdict.problems.length === 0, comparedWith: verdict.comparedWith, environment: verdict.header.environment, binding: verdict.header.binding, runId: verdict.header.runId, takenAt: verdict.header.takenAt, problems: verdict.problems }));
    } else if (verdict.problems.length === 0) {
      const against = verdict.comparedWith === 'source' ? `${values.env}/${verdict.header.binding} as it is now` : `the counts in its header (${verdict.header.takenAt})`;
      output.out(`${paint(output, 'green', '✓')} ${file}: restores to the same schema and row counts as ${against}: ${Object.keys(verdict.header.rows).length} table(s), ${rowsOf(verdict.restored?.rows ?? {})} row(s)`);
    } else {
      if (values.env !== undefined && verdict.comparedWith === 'header') output.err(`note: ${values.env}/${verdict.header.binding} no longer has the schema of the dump; compared with the counts in the file's header instead`);
      reportProblems(output, file, verdict);
    }
    return verdict.problems.length === 0 ? 0 : 1;
  } finally {
    await handle?.dispose();
  }
}

function reportProblems(output: Output, file: string, verdict: BackupVerdict): void {
  if (output.json) return;
  const against = verdict.comparedWith === 'source' ? 'the source database' : "the file's header";
  output.err(paint(output, 'red', `promote: ${file} does not restore to what it should (compared with ${against}):`));
  for (const p of verdict.problems) output.err(`  ${p}`);
  output.err('  fix: take a new backup (promote backup --env <env>); this file cannot be trusted for a restore');
}
