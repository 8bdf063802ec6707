/** Resolves --env / --to names against the project, with a did-you-mean. */
import { didYouMean } from '../config/did-you-mean.js';
import type { LoadedEnvironment, Project } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';

export function selectEnvironment(project: Project, name: string, flag: string): LoadedEnvironment {
  const env = project.environments.get(name);
  if (env) return env;
  const names = [...project.environments.keys()];
  const near = didYouMean(name, names);
  const suggestion = near ? ` (did you mean '${near}'?)` : '';
  throw new InvalidInputError([
    {
      severity: 'error',
      code: 'E_UNKNOWN_ENVIRONMENT',
      file: 'environments/',
      message: `${flag} ${name}: no environments/${name}.yaml${suggestion}`,
      hint: `use one of: ${names.join(', ') || '(none: create environments/<name>.yaml)'}`,
    },
  ]);
}

/** The stages up to and including `to`, in pipeline order (staging-first: none skipped). */
export function stagesUpTo(project: Project, to: string | undefined): LoadedEnvironment[] {
  const order = project.pipeline.stages.map((s) => s.environment);
  const last = to === undefined ? order.length - 1 : order.indexOf(to);
  if (last < 0) {
    selectEnvironment(project, to!, '--to');
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_NOT_A_STAGE',
        file: project.pipelineFile,
        message: `--to ${to}: environments/${to}.yaml exists but no stage of the pipeline uses it`,
        hint: `add '- environment: ${to}' to stages in ${project.pipelineFile}`,
      },
    ]);
  }
  return order.slice(0, last + 1).map((n) => project.environments.get(n)!);
}
