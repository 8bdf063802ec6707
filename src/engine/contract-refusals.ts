/**
 * While a gradual rollout runs, the previous Worker version serves beside the new one against
 * the migrated database. A contract migration (see migrations/expand-contract.ts) would break
 * the old version mid-rollout, so a stage with `worker.rollout` refuses it before anything is
 * touched. Pure: observed plans in, problems out.
 */
import { rolloutOf } from '../config/schema.js';
import { classifyMigration } from '../migrations/expand-contract.js';
import type { Problem } from '../problems.js';
import type { ObservedEnvironment } from './observe.js';

export function contractRefusals(observed: ObservedEnvironment): Problem[] {
  if (!rolloutOf(observed.env.config)) return [];
  return observed.databases.flatMap((d) =>
    d.plan.pending.flatMap((m) => {
      const c = classifyMigration(m);
      if (c.class === 'expand') return [];
      const first = c.reasons[0]!;
      return [
        {
          severity: 'error' as const,
          code: 'E_CONTRACT_IN_ROLLOUT',
          file: m.path,
          line: first.line,
          message: `${m.name} is a contract migration (${c.reasons.map((r) => r.reason).join('; ')}), and ${observed.env.name} rolls its Worker out gradually: the previous version would run against the new schema`,
          hint: `ship ${m.name} in a later release, after the code stops using the old shape (expand first: add the new shape, move the code over, then contract); nothing was changed`,
        },
      ];
    }),
  );
}
