/**
 * `promote baseline --env <env> [--database <binding>] [--through <NNNN>] [--dry-run]`:
 * adopts a database that has schema but no (or a partial) ledger. Everything
 * is proven before anything is written: the migrations are replayed on a
 * scratch database and the live schema must equal a prefix's. A refusal writes
 * nothing (not even the lock); a success takes the lock, checks again that
 * nothing moved, and records the prefix in one transaction.
 */
import { InvalidInputError, LockedError, RunError } from '../../errors.js';
import { baselineRecord, baselineStatements, decideBaseline, foreignAppliedAt, readClaims, replayPrefixes, type BaselineDecision } from '../../ledger/baseline.js';
import { readDatabaseState } from '../../ledger/ledger.js';
import { readFingerprint } from '../../ledger/schema-read.js';
import type { Migration } from '../../migrations/types.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { observeEnvironment, type ObservedDatabase } from '../../engine/observe.js';
import { migrationRefusals } from '../../engine/refusals.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { acquireLease, releaseLease } from '../../ledger/lease.js';
import { withProjectSecrets } from '../settings.js';
import { newRunId } from '../../runs/run-id.js';
import { fingerprintDigest } from '../../schema/fingerprint.js';
import { renderDifference, type SchemaDifference } from '../../schema/schema-diff.js';
import type { HandleDatabase } from '../../targets/environment-handle.js';
import type { CommandContext } from '../command-context.js';
import { paint, type Output } from '../output.js';

interface DatabaseOutcome {
  binding: string;
  status: 'recorded' | 'would record' | 'nothing to record' | 'refused';
  through?: string;
  recorded: string[];
  unprovable: string[];
  closest?: string;
  differences?: SchemaDifference[];
  reason?: string;
  /** Migrations applied to the scratch database: each once, however many prefixes were candidates. */
  replayed?: number;
}

const names = (ms: readonly Migration[]) => ms.map((m) => m.name);

function throughLength(migrations: readonly Migration[], value: string, where: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  const at = migrations.findIndex((m) => m.number === n);
  if (at < 0) {
    throw new InvalidInputError([
      { severity: 'error', code: 'E_BASELINE_THROUGH', file: where, message: `--through ${value}: no migration numbered ${value} in ${where}`, hint: `use the number of one of its files, e.g. --through ${migrations.at(-1)?.id ?? '0001'}` },
    ]);
  }
  return at + 1;
}

function ledgerTables(d: ObservedDatabase): string[] {
  return [d.ledgerTable, ...d.state.foreign.map((f) => f.table)];
}

/** Read-only: replays, compares, decides. */
async function prove(d: ObservedDatabase, db: HandleDatabase, through: string | undefined): Promise<{ decision: BaselineDecision; digest: string; replayed: number } | { refusal: string }> {
  const claims = readClaims(d.migrations, d.state);
  if (claims.problems.length > 0) return { refusal: claims.problems.join('; ') };
  const length = through !== undefined ? throughLength(d.migrations, through, d.migrationsDir) : undefined;
  if (length !== undefined && length < claims.recorded) {
    return { refusal: `--through ${through}: ${d.ledgerTable} already records ${d.migrations[claims.recorded - 1]!.name}` };
  }
  const exclude = ledgerTables(d);
  const live = await readFingerprint(db.conn, exclude);
  const replay = await replayPrefixes(await db.scratch(), d.migrations, exclude);
  return { decision: decideBaseline(replay, live, d.migrations, claims, length), digest: fingerprintDigest(live), replayed: replay.prints.length - 1 };
}

export async function run({ root, output, env, settings: base, values }: CommandContext<'baseline'>): Promise<number> {
  if (!values.env) throw new InvalidInputError([], 'baseline needs --env <environment>');
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  const target = selectEnvironment(ws.project, String(values.env), '--env');
  const observed = await observeEnvironment(ws, target, { start: true, settings });
  const handle = observed.handle!;
  const runId = newRunId();
  const dryRun = Boolean(values['dry-run']);
  const through = values.through === undefined ? undefined : String(values.through);
  try {
    const refusals = migrationRefusals(observed);
    if (refusals.length > 0) throw new InvalidInputError(refusals);
    const selected = observed.databases
      .map((d, i) => ({ d, db: handle.databases[i]! }))
      .filter(({ d }) => values.database === undefined || d.binding === values.database);
    if (selected.length === 0) {
      throw new InvalidInputError([
        { severity: 'error', code: 'E_UNKNOWN_DATABASE', file: target.file, message: `--database ${String(values.database)}: ${target.name} has no such binding`, hint: `use one of: ${observed.databases.map((d) => d.binding).join(', ')}` },
      ]);
    }

    // Every database is proven before any is written.
    const outcomes: DatabaseOutcome[] = [];
    const writes: { d: ObservedDatabase; db: HandleDatabase; through: number; digest: string; outcome: DatabaseOutcome }[] = [];
    for (const { d, db } of selected) {
      const proof = await prove(d, db, through);
      if ('refusal' in proof) {
        outcomes.push({ binding: d.binding, status: 'refused', recorded: [], unprovable: [], reason: proof.refusal });
        continue;
      }
      const { decision } = proof;
      if (!decision.ok) {
        outcomes.push({
          binding: d.binding,
          status: 'refused',
          recorded: [],
          unprovable: [],
          closest: decision.closest === 0 ? '(none)' : d.migrations[decision.closest - 1]!.name,
          differences: decision.differences,
          replayed: proof.replayed,
          ...(decision.replayFailed ? { reason: `${decision.replayFailed.migration.name} failed on the scratch database: ${decision.replayFailed.message}` } : {}),
        });
        continue;
      }
      const record = baselineRecord(d.migrations, decision.through, d.state);
      const outcome: DatabaseOutcome = {
        binding: d.binding,
        status: record.ledger.length + record.meta.length === 0 ? 'nothing to record' : dryRun ? 'would record' : 'recorded',
        ...(decision.through > 0 ? { through: d.migrations[decision.through - 1]!.name } : {}),
        recorded: names(d.migrations.slice(0, decision.through).filter((m) => record.ledger.includes(m) || record.meta.includes(m))),
        unprovable: names(decision.unprovable),
        replayed: proof.replayed,
      };
      outcomes.push(outcome);
      if (outcome.status === 'recorded') writes.push({ d, db, through: decision.through, digest: proof.digest, outcome });
    }

    if (outcomes.some((o) => o.status === 'refused')) {
      report(output, target.name, runId, dryRun, outcomes);
      return 2;
    }
    if (writes.length > 0) await recordUnderLock(handle.databases[0]!, writes, runId, settings.owner, target.name);
    report(output, target.name, runId, dryRun, outcomes);
    return 0;
  } finally {
    await handle.dispose();
  }
}

/** Takes the environment's lease, checks that ledger and schema are still what was proven, then writes. */
async function recordUnderLock(
  lockDb: HandleDatabase,
  writes: { d: ObservedDatabase; db: HandleDatabase; through: number; digest: string }[],
  runId: string,
  owner: string,
  envName: string,
): Promise<void> {
  const lease = await acquireLease(lockDb.conn, runId, owner, 60_000);
  if (!lease.acquired) throw new LockedError(`${envName} is locked by run ${lease.holder.runId} (${lease.holder.owner})`, 'wait for it to finish, then run promote baseline again');
  try {
    for (const w of writes) {
      const now = await readDatabaseState(w.db.conn, w.d.ledgerTable);
      const moved =
        now.ledger.map((r) => r.name).join('\n') !== w.d.state.ledger.map((r) => r.name).join('\n') ||
        fingerprintDigest(await readFingerprint(w.db.conn, ledgerTables(w.d))) !== w.digest;
      if (moved) throw new RunError(`${envName}/${w.d.binding} changed while baseline was proving it; nothing was recorded`, 'run promote baseline again');
      const record = baselineRecord(w.d.migrations, w.through, now);
      await w.db.conn.batch(baselineStatements(record, w.d.ledgerTable, runId, foreignAppliedAt(w.d.migrations, now.foreign)));
    }
  } finally {
    await releaseLease(lockDb.conn, runId).catch(() => undefined);
  }
}

function report(output: Output, envName: string, runId: string, dryRun: boolean, outcomes: readonly DatabaseOutcome[]): void {
  if (output.json) {
    output.out(JSON.stringify({ type: 'summary', command: 'baseline', environment: envName, runId, dryRun, databases: outcomes }));
    return;
  }
  for (const o of outcomes) {
    const where = `${envName}/${o.binding}`;
    if (o.status === 'refused') {
      output.err(paint(output, 'red', `promote: baseline refused for ${where}; nothing was written`));
      if (o.reason) output.err(`  ${o.reason}`);
      if (o.differences) {
        output.err(`  closest prefix: through ${o.closest} (${o.differences.length} difference(s) from the live schema):`);
        for (const d of o.differences) output.err(`    ${renderDifference(d)}`);
      }
      output.err('    fix: make the live schema match the migrations (or add a migration for what was changed by hand), or pass --through <NNNN> to check one prefix');
      continue;
    }
    if (o.status === 'nothing to record') {
      output.out(`${where}: ${o.through ? `schema matches through ${o.through}, already recorded` : 'the schema matches no migration yet'}: nothing to record`);
      continue;
    }
    const verb = o.status === 'recorded' ? 'recorded' : 'would record (dry run: nothing written)';
    output.out(`${where}: schema matches through ${o.through}; ${verb} ${o.recorded.length} migration(s) as baseline`);
    for (const name of o.recorded) output.out(`  ${paint(output, 'green', '✓')} ${name}  ${paint(output, 'dim', 'baseline')}`);
    for (const name of o.unprovable) {
      output.out(paint(output, 'yellow', `  note: ${name} leaves the schema unchanged, so the schema cannot show whether it ran; pass --through to stop before it if it did not`));
    }
  }
  if (!dryRun && outcomes.some((o) => o.status === 'recorded')) output.out(`baseline of ${envName} done (run ${runId})`);
}
