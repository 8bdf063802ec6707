/**
 * Pure: what `promote repair` would record for one observed environment, or
 * why it refuses. A repair only makes the ledger describe a change the team
 * made on purpose (a renamed file, an edit accepted by name); anything else
 * that makes the files disagree with the ledger is refused with its fix, and
 * nothing is written anywhere when any environment has a refusal.
 */
import type { LedgerRepair } from '../ledger/repair.js';
import type { Problem } from '../problems.js';
import type { ObservedDatabase, ObservedEnvironment } from './observe.js';

export interface DatabaseRepair {
  environment: string;
  binding: string;
  ledgerTable: string;
  repairs: LedgerRepair[];
  /** One line per repair, printed before anything is written. */
  lines: string[];
}

export interface RepairOptions {
  /** Files (names or paths under the migrations folder) whose current checksum is accepted. */
  acceptChecksum: readonly string[];
}

export function planRepair(observed: ObservedEnvironment, opts: RepairOptions): { databases: DatabaseRepair[]; problems: Problem[] } {
  const env = observed.env.name;
  const databases: DatabaseRepair[] = [];
  const problems: Problem[] = [];
  for (const d of observed.databases) {
    const where = `${env}/${d.binding}`;
    const accepted = new Set(opts.acceptChecksum.map((f) => nameIn(d, f)));
    const repairs: LedgerRepair[] = [];
    const lines: string[] = [];
    const appliedAt = (name: string): string => d.state.ledger.find((r) => r.name === name)?.applied_at ?? new Date().toISOString();

    for (const r of d.plan.renamed) {
      repairs.push({ kind: 'rename', from: r.from, to: r.to.name, checksum: r.to.checksum, appliedAt: appliedAt(r.from) });
      const why = r.match === 'checksum' ? 'same checksum as applied' : 'wrangler applied it without a checksum; same name after the number, and every object it creates exists';
      lines.push(`${where}: renamed ${r.from} -> ${r.to.name} (${why})`);
    }
    for (const x of d.plan.drift) {
      if (x.reason === 'checksum changed' && accepted.has(x.name)) {
        const file = d.migrations.find((m) => m.name === x.name)!;
        const previous = d.state.meta.get(x.name)?.checksum;
        repairs.push({ kind: 'accept-checksum', name: x.name, checksum: file.checksum, ...(previous ? { previous } : {}), appliedAt: appliedAt(x.name) });
        lines.push(`${where}: ${x.name} checksum ${previous ?? '(none)'} -> ${file.checksum} (edited on purpose; nothing is run again)`);
      } else if (x.reason === 'checksum changed') {
        problems.push({
          severity: 'error',
          code: 'E_DRIFT_CHECKSUM',
          file: `${d.migrationsDir}/${x.name}`,
          message: `drift: ${x.name} changed after it was applied to ${where} (checksum changed)`,
          hint: `if the edit was on purpose and changes nothing in the database: promote repair --env ${env} --accept-checksum ${x.name}; otherwise restore the file (git checkout it) and put the change in a new migration`,
        });
      } else if (x.lookalike) {
        problems.push({
          severity: 'error',
          code: 'E_RENAME_CONTENTS_DIFFER',
          file: `${d.migrationsDir}/${x.lookalike}`,
          message: `${x.name} (applied to ${where}) is gone and ${x.lookalike} has its name, but not the contents that were applied: a rename must not change the SQL`,
          hint: `restore ${x.lookalike} to the applied contents (git show <commit>:${d.migrationsDir}/${x.name}) and run repair again; put changes in a new migration`,
        });
      } else {
        problems.push({
          severity: 'error',
          code: 'E_DRIFT_MISSING',
          file: `${d.migrationsDir}/${x.name}`,
          message: `drift: ${x.name} is applied to ${where} but the file is gone, and no pending file has its contents`,
          hint: `restore ${d.migrationsDir}/${x.name} (git checkout it), or if it was removed on purpose: promote repair --retire ${x.name}`,
        });
      }
    }
    // An edit accepted for a file wrangler applied (no checksum yet) is recorded as it is now.
    for (const m of d.plan.adoptable.filter((a) => accepted.has(a.name))) {
      repairs.push({ kind: 'accept-checksum', name: m.name, checksum: m.checksum, appliedAt: appliedAt(m.name) });
      lines.push(`${where}: ${m.name} checksum (none) -> ${m.checksum} (recorded as the file is now)`);
    }
    if (repairs.length > 0) databases.push({ environment: env, binding: d.binding, ledgerTable: d.ledgerTable, repairs, lines });
  }
  return { databases, problems };
}

/** `migrations/0003_x.sql` or `0003_x.sql` -> the name in this database's ledger. */
export function nameIn(d: Pick<ObservedDatabase, 'migrationsDir'>, file: string): string {
  const normal = file.replaceAll('\\', '/').replace(/^\.\//, '');
  return normal.startsWith(`${d.migrationsDir}/`) ? normal.slice(d.migrationsDir.length + 1) : normal;
}
