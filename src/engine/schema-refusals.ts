/**
 * Schema drift as problems: a database whose live schema differs from what its
 * applied migrations build was changed by hand. With `migrations.schemaDrift:
 * refuse` (the default) the promotion stops before anything is touched; with
 * `warn` it goes on and every sink says so. Pure: the observation in, problems out.
 */
import type { Problem } from '../problems.js';
import { describeSchemaDifferences } from '../schema/schema-drift.js';
import type { ObservedEnvironment } from './observe.js';

export function schemaDriftProblems(observed: ObservedEnvironment, policy: 'refuse' | 'warn', pipelineFile: string): Problem[] {
  return observed.databases.flatMap((d): Problem[] => {
    if (d.schema?.status !== 'drift') return [];
    const where = `${observed.env.name}/${d.binding}`;
    const n = d.schema.differences.length;
    const lines = describeSchemaDifferences(d.schema.differences).map((l) => `\n      ${l}`).join('');
    const message = `schema drift: ${where} differs from what its applied migrations build (${n} difference${n === 1 ? '' : 's'}; changed by hand?):${lines}`;
    if (policy === 'warn') {
      return [{ severity: 'warning', code: 'W_SCHEMA_DRIFT', file: d.migrationsDir, message, hint: `migrations.schemaDrift is warn in ${pipelineFile}: the promotion goes on; see it with promote diff --env ${observed.env.name}` }];
    }
    return [
      {
        severity: 'error',
        code: 'E_SCHEMA_DRIFT',
        file: d.migrationsDir,
        message,
        hint: `make ${where} match its migrations again (undo the change by hand, or keep it and write it as a new migration: promote new <slug>); objects a Worker creates at run time belong in migrations.schemaIgnore; to promote anyway, set migrations.schemaDrift: warn in ${pipelineFile}. See it with promote diff --env ${observed.env.name}`,
      },
    ];
  });
}
