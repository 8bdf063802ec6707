/**
 * What migrate refuses to do, as problems: drift (an applied file changed or
 * vanished) and out-of-order files. Both mean the files no longer describe the
 * database, and guessing would risk data.
 */
import type { Problem } from '../problems.js';
import type { ObservedEnvironment } from './observe.js';

export function migrationRefusals(observed: ObservedEnvironment): Problem[] {
  const problems: Problem[] = [];
  for (const d of observed.databases) {
    const where = `${observed.env.name}/${d.binding}`;
    for (const x of d.plan.drift) {
      problems.push({
        severity: 'error',
        code: x.reason === 'file missing' ? 'E_DRIFT_MISSING' : 'E_DRIFT_CHECKSUM',
        file: `${d.migrationsDir}/${x.name}`,
        message:
          x.reason === 'file missing'
            ? `drift: ${x.name} is applied to ${where} but the file is gone`
            : `drift: ${x.name} changed after it was applied to ${where} (checksum changed)`,
        hint:
          x.reason === 'file missing'
            ? `restore ${d.migrationsDir}/${x.name} (git checkout it); an applied migration must keep its file`
            : `restore the file as it was applied (git checkout it) and put the change in a new migration: promote new <slug>`,
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
