/**
 * Pure validation of one parsed config file: data in, typed config (defaults
 * applied) or every problem out. Reading files and cross-file rules live in
 * load-project.ts.
 */
import type { z } from 'zod';
import type { Problem } from '../problems.js';
import { keyPathId, type KeyPath } from './key-path.js';
import { EnvironmentSchema, PipelineSchema, type Environment, type Pipeline } from './schema.js';
import { issuesToProblems } from './zod-problems.js';

export type Validation<T> = { value: T } | { problems: Problem[] };

export interface ValidationContext {
  /** Line of a key path in the file; without it problems carry no line. */
  lineOf?: (path: KeyPath) => number | undefined;
  /** The string as written (before ${VAR} expansion) at a path, keyed by keyPathId. */
  written?: ReadonlyMap<string, string>;
  /** Paths (keyPathId) already reported, e.g. an unset ${VAR}: problems at or under them are dropped. */
  ignore?: ReadonlySet<string>;
}

export function validatePipeline(doc: unknown, file: string, ctx: ValidationContext = {}): Validation<Pipeline> {
  return validateWith(PipelineSchema, doc, file, ctx);
}

export function validateEnvironment(doc: unknown, file: string, ctx: ValidationContext = {}): Validation<Environment> {
  return validateWith(EnvironmentSchema, doc, file, ctx);
}

function validateWith<S extends z.ZodType>(
  schema: S,
  doc: unknown,
  file: string,
  ctx: ValidationContext,
): Validation<z.output<S>> {
  const result = schema.safeParse(doc);
  if (result.success) return { value: result.data };
  const ignored = (path: readonly PropertyKey[]): boolean =>
    ctx.ignore !== undefined && path.some((_, i) => ctx.ignore!.has(keyPathId(path.slice(0, i + 1) as KeyPath)));
  const issues = result.error.issues.filter((i) => !ignored(i.path));
  const problems = issuesToProblems(issues, {
    schema,
    data: doc,
    file,
    lineOf: ctx.lineOf,
    writtenAs: (path) => ctx.written?.get(keyPathId(path)),
  });
  // Everything was filtered out: the file is still not valid, but the cause is already reported.
  if (problems.length === 0 && issues.length < result.error.issues.length) return { problems: [] };
  return { problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}
