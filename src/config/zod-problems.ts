/**
 * Turns zod issues into Problems that read like the user's file: a key path,
 * what was expected, what was found, and a did-you-mean where one is plausible.
 */
import type { z } from 'zod';
import type { Problem } from '../problems.js';
import { suggestionSuffix } from './did-you-mean.js';
import { formatKeyPath, valueAt, type KeyPath } from './key-path.js';
import { knownKeysAt } from './schema-walk.js';

export interface IssueContext {
  schema: z.ZodType;
  /** The data that was validated. */
  data: unknown;
  file: string;
  lineOf?: (path: KeyPath) => number | undefined;
  /** The text as written for interpolated values, shown instead of the (possibly secret) value. */
  writtenAs?: (path: KeyPath) => string | undefined;
}

type Issue = z.core.$ZodIssue;

export function issuesToProblems(issues: readonly Issue[], ctx: IssueContext): Problem[] {
  return issues.flatMap((issue) => issueToProblems(issue, ctx));
}

function issueToProblems(issue: Issue, ctx: IssueContext): Problem[] {
  const path = issue.path as KeyPath;
  const problem = (code: string, detail: string, hint?: string, at: KeyPath = path): Problem => ({
    severity: 'error',
    code,
    file: ctx.file,
    line: ctx.lineOf?.(at),
    message: `${formatKeyPath(at)}: ${detail}`,
    ...(hint ? { hint } : {}),
  });
  const got = (): string => describeValue(path, ctx);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(ctx.schema, ctx.data, path);
      return issue.keys.map((key) =>
        problem(
          'E_CONFIG_UNKNOWN_KEY',
          `unknown key${suggestionSuffix(key, known)}`,
          known.length > 0 ? `keys allowed here: ${known.join(', ')}` : undefined,
          [...path, key],
        ),
      );
    }
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator !== undefined) {
        const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
        if (isMissing(path, ctx.data)) {
          return [problem('E_CONFIG_MISSING_KEY', `required key is missing; expected one of ${options.join(' | ')}`)];
        }
        const value = valueAt(ctx.data, path);
        const suffix = typeof value === 'string' && !isWritten(path, ctx) ? suggestionSuffix(value, options) : '';
        return [problem('E_CONFIG_INVALID_VALUE', `expected one of ${options.join(' | ')}, got ${got()}${suffix}`)];
      }
      // Every branch failed on type (a Duration given `true`): say which types would do.
      const expected = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0
          ? [typeName(branch[0]!.expected)]
          : [],
      );
      if (expected.length === issue.errors.length && expected.length > 0) {
        return [problem('E_CONFIG_INVALID_TYPE', `expected ${expected.join(' or ')}, received ${kindOf(valueAt(ctx.data, path))}`)];
      }
      return [problem('E_CONFIG_INVALID', issue.message)];
    }
    case 'invalid_type': {
      const expected = typeName(issue.expected);
      if (isMissing(path, ctx.data)) {
        return [problem('E_CONFIG_MISSING_KEY', `required key is missing (expected ${expected})`)];
      }
      const value = valueAt(ctx.data, path);
      // An integer check fails on a number: "expected integer, received number" would confuse.
      const received = issue.expected === 'int' && typeof value === 'number' ? got() : kindOf(value);
      return [problem('E_CONFIG_INVALID_TYPE', `expected ${expected}, received ${received}`)];
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      const value = valueAt(ctx.data, path);
      const suffix = typeof value === 'string' && !isWritten(path, ctx) ? suggestionSuffix(value, options) : '';
      const expected = options.length === 1 ? options[0]! : `one of ${options.join(' | ')}`;
      return [problem('E_CONFIG_INVALID_VALUE', `expected ${expected}, got ${got()}${suffix}`)];
    }
    case 'too_small':
    case 'too_big': {
      if (!/^Too (small|big)/.test(issue.message)) return [problem('E_CONFIG_INVALID_VALUE', issue.message)];
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      const op = `${small ? '>' : '<'}${issue.inclusive ? '=' : ''}`;
      let detail: string;
      if (issue.origin === 'string') {
        detail = small && Number(bound) === 1 ? 'must not be empty' : `expected ${op} ${bound} characters`;
      } else if (issue.origin === 'array' || issue.origin === 'set') {
        detail = `expected ${op} ${bound} items`;
      } else detail = `expected a number ${op} ${bound}, got ${got()}`;
      return [problem('E_CONFIG_INVALID_VALUE', detail)];
    }
    case 'invalid_format': {
      if (!issue.message.startsWith('Invalid')) return [problem('E_CONFIG_INVALID_VALUE', `${issue.message}, got ${got()}`)];
      const what = issue.format === 'url' ? 'a URL' : issue.format === 'regex' ? `text matching ${issue.pattern}` : `a valid ${issue.format}`;
      return [problem('E_CONFIG_INVALID_VALUE', `expected ${what}, got ${got()}`)];
    }
    default:
      return [problem('E_CONFIG_INVALID', issue.message)];
  }
}

/** The key is absent from an object that exists: a missing key, not a wrong value. */
function isMissing(path: KeyPath, data: unknown): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(data, path.slice(0, -1));
  const key = path[path.length - 1]!;
  return (
    parent !== null && typeof parent === 'object' && !Array.isArray(parent) &&
    (!(String(key) in parent) || (parent as Record<string, unknown>)[key] === undefined)
  );
}

function isWritten(path: KeyPath, ctx: IssueContext): boolean {
  return ctx.writtenAs?.(path) !== undefined;
}

/** How a value is shown in a message; an interpolated one as written, so a secret never appears. */
function describeValue(path: KeyPath, ctx: IssueContext): string {
  const written = ctx.writtenAs?.(path);
  if (written !== undefined) return JSON.stringify(written);
  const value = valueAt(ctx.data, path);
  if (value === null || typeof value === 'object') return kindOf(value);
  const shown = JSON.stringify(value);
  return shown.length > 60 ? `${shown.slice(0, 57)}..."` : shown;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'mapping' : typeof value;
}

function typeName(expected: string): string {
  if (expected === 'int') return 'integer';
  if (expected === 'array') return 'list';
  if (expected === 'object') return 'mapping';
  return expected;
}
