/**
 * `promote repair`: records in the ledger what the team changed on purpose, so
 * promote and wrangler both see the files as applied again. Never touches
 * schema or data. Everything is observed and planned (read-only) before the
 * first write; any refusal in any environment means nothing is written.
 *
 *   promote repair --env <env> | --all      record renamed files under their new names
 *     [--accept-checksum <file>]...          and accept the current checksum of files edited on purpose
 *   promote repair --retire <name> [--dir]  record that an applied migration's file was removed on purpose
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedEnvironment } from '../../config/schema.js';
import { InvalidInputError, LockedError } from '../../errors.js';
import { readDatabaseState } from '../../ledger/ledger.js';
import { repairStatements } from '../../ledger/repair.js';
import { RETIRED_FILE, addRetired, parseMigrationName } from '../../migrations/index.js';
import { loadWorkspace, type Workspace } from '../../engine/load-workspace.js';
import { observeAndClose, observeEnvironment } from '../../engine/observe.js';
import { planRepair, type DatabaseRepair } from '../../engine/repair-plan.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { acquireLease, releaseLease } from '../../ledger/lease.js';
import { withProjectSecrets } from '../settings.js';
import { newRunId } from '../../runs/run-id.js';
import { observeHandle } from '../../engine/observe.js';
import { parseDuration } from '../durations.js';
import type { CommandContext } from '../command-context.js';
import { paint, printProblems } from '../output.js';

export async function run(ctx: CommandContext<'repair'>): Promise<number> {
  const { values } = ctx;
  if (values.retire !== undefined) {
    if (values.env !== undefined || values.all) throw new InvalidInputError([], 'repair --retire records a file, not a database: run it without --env/--all');
    return retire(ctx, String(values.retire));
  }
  if (values.env === undefined && !values.all) {
    throw new InvalidInputError([], 'repair needs --env <environment> or --all (or --retire <name>)');
  }
  return repairLedgers(ctx);
}

async function repairLedgers({ root, output, env, settings: base, values }: CommandContext<'repair'>): Promise<number> {
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  printProblems(output, ws.warnings);
  const envs = values.all ? allEnvironments(ws) : [selectEnvironment(ws.project, String(values.env), '--env')];
  const acceptChecksum = listOf(values['accept-checksum']);

  // Read-only first: every environment planned, every refusal found, before any write.
  const planned: { env: LoadedEnvironment; databases: DatabaseRepair[] }[] = [];
  const problems = [];
  for (const e of envs) {
    const plan = planRepair(await observeAndClose(ws, e, settings), { acceptChecksum });
    problems.push(...plan.problems);
    if (plan.databases.length > 0) planned.push({ env: e, databases: plan.databases });
  }
  for (const file of acceptChecksum) {
    const found = planned.some((p) => p.databases.some((d) => d.repairs.some((r) => r.kind === 'accept-checksum' && file.endsWith(r.name))));
    if (!found) {
      problems.push({
        severity: 'error' as const,
        code: 'E_NOTHING_TO_ACCEPT',
        file,
        message: `--accept-checksum ${file}: no ${values.all ? '' : `${String(values.env)} `}database has it applied with another checksum`,
        hint: 'name an applied migration whose file changed (promote status shows them as drift)',
      });
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems, `repair refused; nothing was written`);

  const lines = planned.flatMap((p) => p.databases.flatMap((d) => d.lines));
  if (lines.length === 0) {
    if (output.json) output.out(JSON.stringify({ type: 'summary', command: 'repair', recorded: [] }));
    else output.out('nothing to repair: every ledger matches the files');
    return 0;
  }
  if (!output.json) {
    output.out(values['dry-run'] ? 'would record:' : 'recording:');
    for (const line of lines) output.out(`  ${line}`);
  }
  if (values['dry-run']) {
    if (output.json) output.out(JSON.stringify({ type: 'summary', command: 'repair', dryRun: true, recorded: lines }));
    return 0;
  }

  const runId = newRunId();
  const ttl = values['lock-ttl'] ? parseDuration(String(values['lock-ttl']), '--lock-ttl') : 60_000;
  for (const p of planned) {
    const { handle } = await observeEnvironment(ws, p.env, { start: true, settings });
    const lockDb = handle!.databases[0]?.conn;
    let locked = false;
    try {
      if (lockDb) {
        const lease = await acquireLease(lockDb, runId, settings.owner, ttl);
        if (!lease.acquired) {
          throw new LockedError(`${p.env.name} is locked by run ${lease.holder.runId} (${lease.holder.owner})`, 'wait for that run to finish, then run repair again; nothing was written');
        }
        locked = true;
      }
      // Planned again under the lock: a promotion that finished in between must not be repaired over.
      const again = planRepair({ env: p.env, databases: await observeHandle(ws, handle!) }, { acceptChecksum });
      if (again.problems.length > 0) throw new InvalidInputError(again.problems, `repair refused on ${p.env.name}; nothing was written there`);
      for (const d of again.databases) {
        const db = handle!.databases.find((h) => h.binding === d.binding)!;
        await db.conn.batch(repairStatements(d.ledgerTable, d.repairs, runId), { idempotent: true });
        const state = await readDatabaseState(db.conn, d.ledgerTable);
        const names = new Set(state.ledger.map((r) => r.name));
        for (const r of d.repairs) if (r.kind === 'rename' && !names.has(r.to)) throw new Error(`repair of ${r.from} on ${p.env.name}/${d.binding} did not take effect`);
        if (!output.json) for (const line of d.lines) output.out(`  ${paint(output, 'green', '✓')} ${line}`);
      }
    } finally {
      if (locked && lockDb) await releaseLease(lockDb, runId).catch(() => undefined);
      await handle!.dispose();
    }
  }
  if (output.json) output.out(JSON.stringify({ type: 'summary', command: 'repair', runId, recorded: lines }));
  else output.out(`repaired ${planned.map((p) => p.env.name).join(', ')}: the ledgers match the files (schema and data untouched)`);
  return 0;
}

/**
 * Retiring is a fact about the files, so it is written beside them (migrations/.retired) and
 * committed: validate, status and every environment read it from there. It needs no valid workspace,
 * since the gap it explains is exactly what makes validate fail now.
 */
async function retire({ root, output, values }: CommandContext<'repair'>, name: string): Promise<number> {
  const dir = String(values.dir ?? 'migrations').replaceAll('\\', '/').replace(/^\.\//, '').replace(/\/+$/, '');
  const bare = name.startsWith(`${dir}/`) ? name.slice(dir.length + 1) : name;
  const problem = (code: string, message: string, hint: string) => new InvalidInputError([{ severity: 'error', code, file: `${dir}/${bare}`, message, hint }], 'nothing was written');
  if (!existsSync(join(root, dir))) throw problem('E_RETIRE_DIR', `no migrations folder ${dir}`, 'pass --dir <folder> (the migrations_dir of the database)');
  if (!parseMigrationName(bare) || parseMigrationName(bare)!.isRollback) throw problem('E_RETIRE_NAME', `'${bare}' is not a migration name`, 'name the applied migration as the ledger does, e.g. 0008_old_feature.sql');
  if (existsSync(join(root, dir, bare))) throw problem('E_RETIRE_FILE_PRESENT', `${dir}/${bare} still exists`, `remove it first (git rm ${dir}/${bare}); retire records a removal, it does not make one`);
  const path = join(root, dir, RETIRED_FILE);
  const existing = existsSync(path) ? await readFile(path, 'utf8') : undefined;
  const next = addRetired(existing, bare, `retired ${new Date().toISOString().slice(0, 10)}`);
  if (next !== existing) await writeFile(path, next);
  if (output.json) output.out(JSON.stringify({ type: 'summary', command: 'repair', retired: bare, file: `${dir}/${RETIRED_FILE}` }));
  else {
    output.out(`${next === existing ? 'already recorded' : 'recorded'}: ${bare} retired in ${dir}/${RETIRED_FILE}`);
    output.out(`next: commit ${dir}/${RETIRED_FILE}; validate now accepts the gap, and status shows ${bare} as retired wherever it was applied`);
  }
  return 0;
}

function allEnvironments(ws: Workspace): LoadedEnvironment[] {
  const order = ws.project.pipeline.stages.map((s) => s.environment);
  const rank = (e: LoadedEnvironment) => (order.includes(e.name) ? order.indexOf(e.name) : order.length);
  return [...ws.project.environments.values()].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function listOf(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
