/**
 * What migrate refuses to do, as problems: drift (an applied file changed or
 * vanished), a renamed file not yet recorded, and out-of-order files. All mean
 * the files no longer describe the database, and guessing would risk data; each
 * hint names the `promote repair` command that records a deliberate change.
 */
import type { Problem } from '../problems.js';
import type { ObservedEnvironment } from './observe.js';

export function migrationRefusals(observed: ObservedEnvironment): Problem[] {
  const problems: Problem[] = [];
  const envName = observed.env.name;
  for (const d of observed.databases) {
    const where = `${envName}/${d.binding}`;
    for (const r of d.plan.renamed) {
      problems.push({
        severity: 'error',
        code: 'E_RENAMED',
        file: `${d.migrationsDir}/${r.to.name}`,
        message: `renamed: ${r.from} -> ${r.to.name} on ${where} (applied under the old name; ${r.match === 'checksum' ? 'same checksum' : 'same name after the number, its objects exist'})`,
        hint: `record the new name in the ledger: promote repair --env ${envName} (or --all for every environment); nothing is run again`,
      });
    }
    for (const x of d.plan.drift) {
      const missing = x.reason === 'file missing';
      problems.push({
        severity: 'error',
        code: missing ? 'E_DRIFT_MISSING' : 'E_DRIFT_CHECKSUM',
        file: `${d.migrationsDir}/${x.name}`,
        message: missing
          ? `drift: ${x.name} is applied to ${where} but the file is gone${x.lookalike ? ` (${x.lookalike} has its name but not its contents, so it is not a rename)` : ''}`
          : `drift: ${x.name} changed after it was applied to ${where} (checksum changed)`,
        hint: missing
          ? `restore ${d.migrationsDir}/${x.name} (git checkout it); if it was removed on purpose: promote repair --retire ${x.name}${x.lookalike ? `; if ${x.lookalike} is the same migration renamed, restore its contents as applied` : ''}`
          : `restore the file as it was applied (git checkout it) and put the change in a new migration (promote new <slug>); if the edit changes nothing in the database (comments, formatting): promote repair --env ${envName} --accept-checksum ${x.name}`,
      });
    }
    for (const o of d.plan.outOfOrder) {
      problems.push({
        severity: 'error',
        code: 'E_OUT_OF_ORDER',
        file: `${d.migrationsDir}/${o.name}`,
        message: `${o.name} is pending on ${where} but ${o.newestApplied} is already applied: it would run out of order`,
        hint: `renumber it after ${o.newestApplied} (promote new <slug> gives the next number) so every environment applies files in the same order`,
      });
    }
  }
  return problems;
}

/**
 * One message for a promotion's refusal: the run's sinks print the step's error message, not its
 * problems, so each problem and its fix travel in the message itself.
 */
export function refusalMessage(problems: readonly Problem[]): string {
  const lines = problems.map((p) => `${p.code}: ${p.message}${p.hint ? `\n    fix: ${p.hint}` : ''}`);
  return `${problems.length} problem(s) found; nothing was changed\n  ${lines.join('\n  ')}`;
}
