/**
 * Rules that need the pipeline and the environment files together. Pure: names
 * and line lookups in, Problems out.
 */
import type { Problem } from '../problems.js';
import { suggestionSuffix } from './did-you-mean.js';
import type { KeyPath } from './key-path.js';
import type { Stage } from './schema.js';

export interface StageRuleInput {
  pipelineFile: string;
  stages: readonly Stage[];
  lineOf?: (path: KeyPath) => number | undefined;
  /** Names with an environments/<name>.yaml file, valid or not. */
  environmentNames: readonly string[];
  /** Names that exist only under a spelling we refuse (.yml); already reported. */
  misnamedEnvironments?: readonly string[];
  environmentFile: (name: string) => string;
}

export function checkStages(input: StageRuleInput): Problem[] {
  const problems: Problem[] = [];
  const firstLine = new Map<string, number | undefined>();
  const known = new Set(input.environmentNames);
  const misnamed = new Set(input.misnamedEnvironments ?? []);

  input.stages.forEach((stage, i) => {
    const name = stage.environment;
    const line = input.lineOf?.(['stages', i, 'environment']);
    if (firstLine.has(name)) {
      const first = firstLine.get(name);
      problems.push({
        severity: 'error',
        code: 'E_CONFIG_DUPLICATE_STAGE',
        file: input.pipelineFile,
        line,
        message: `stages[${i}].environment: '${name}' is already a stage (lines ${first ?? '?'} and ${line ?? '?'})`,
        hint: 'an environment can be promoted to once per pipeline; remove one of the two stages',
      });
      return;
    }
    firstLine.set(name, line);
    if (known.has(name) || misnamed.has(name)) return;
    problems.push({
      severity: 'error',
      code: 'E_CONFIG_UNKNOWN_ENVIRONMENT',
      file: input.pipelineFile,
      line,
      message: `stages[${i}].environment: no file ${input.environmentFile(name)}${suggestionSuffix(name, input.environmentNames)}`,
      hint: `create ${input.environmentFile(name)} or name one of: ${input.environmentNames.join(', ') || '(no environment files yet)'}`,
    });
  });

  for (const name of input.environmentNames) {
    if (firstLine.has(name)) continue;
    problems.push({
      severity: 'warning',
      code: 'W_CONFIG_UNUSED_ENVIRONMENT',
      file: input.environmentFile(name),
      message: `environment '${name}' is not used by any stage in ${input.pipelineFile}`,
      hint: `add \`- environment: ${name}\` to stages, or delete the file`,
    });
  }
  return problems;
}
