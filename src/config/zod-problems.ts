/**
 * Turns zod issues into Problems that read like the user's file: a key path,
 * what was expected, what was found, and a did-you-mean where one is plausible.
 */
import type { z } from 'zod';
import type { Problem } from '../problems.js';
import { didYouMean, suggestionSuffix } from './did-you-mean.js';
import { formatKeyPath, valueAt, type KeyPath } from './key-path.js';
import { knownKeysAt, schemaAt } from './schema-walk.js';

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
  // Every problem says what to do: the hint is required here on purpose.
  const problem = (code: string, detail: string, hint: string, at: KeyPath = path, line = ctx.lineOf?.(at)): Problem => ({
    severity: 'error',
    code,
    file: ctx.file,
    line,
    message: `${formatKeyPath(at)}: ${detail}`,
    hint,
  });
  const got = (): string => describeValue(path, ctx);
  /** The value as the user wrote it, when it is safe to repeat (not interpolated). */
  const own = (): unknown => (isWritten(path, ctx) ? undefined : valueAt(ctx.data, path));

  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(ctx.schema, ctx.data, path);
      return issue.keys.map((key) =>
        problem(
          'E_CONFIG_UNKNOWN_KEY',
          `unknown key${suggestionSuffix(key, known)}`,
          known.length > 0 ? `keys allowed here: ${known.join(', ')}` : `remove \`${key}\`; nothing else is allowed here`,
          [...path, key],
        ),
      );
    }
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator !== undefined) {
        const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
        if (isMissing(path, ctx.data)) {
          return [
            problem(
              'E_CONFIG_MISSING_KEY',
              `required key is missing; expected one of ${options.join(' | ')}`,
              `add ${orList(options.map((o) => `\`${written(path, o)}\``))} ${whereToAdd(path)}`,
            ),
          ];
        }
        const value = valueAt(ctx.data, path);
        const suggested = typeof value === 'string' && !isWritten(path, ctx) ? didYouMean(value, options) : undefined;
        const suffix = suggested !== undefined ? `; did you mean '${suggested}'?` : '';
        return [
          problem(
            'E_CONFIG_INVALID_VALUE',
            `expected one of ${options.join(' | ')}, got ${got()}${suffix}`,
            allowedValuesHint(path, options, suggested),
          ),
        ];
      }
      // Every branch failed on type (a Duration given `true`): say which types would do.
      const expected = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0
          ? [typeName(branch[0]!.expected)]
          : [],
      );
      if (expected.length === issue.errors.length && expected.length > 0) {
        return [
          problem(
            'E_CONFIG_INVALID_TYPE',
            `expected ${expected.join(' or ')}, received ${kindOf(valueAt(ctx.data, path))}`,
            unionTypeHint(path, expected),
          ),
        ];
      }
      return [problem('E_CONFIG_INVALID', issue.message, genericHint(path))];
    }
    case 'invalid_type': {
      const expected = typeName(issue.expected);
      if (isMissing(path, ctx.data)) {
        return [
          problem(
            'E_CONFIG_MISSING_KEY',
            `required key is missing (expected ${expected})`,
            `add ${exampleEntry(path, expected)} ${whereToAdd(path)}`,
          ),
        ];
      }
      const value = valueAt(ctx.data, path);
      // An integer check fails on a number: "expected integer, received number" would confuse.
      const received = issue.expected === 'int' && typeof value === 'number' ? got() : kindOf(value);
      return [problem('E_CONFIG_INVALID_TYPE', `expected ${expected}, received ${received}`, typeHint(path, expected, value, own()))];
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      const value = valueAt(ctx.data, path);
      const suggested = typeof value === 'string' && !isWritten(path, ctx) ? didYouMean(value, options) : undefined;
      const suffix = suggested !== undefined ? `; did you mean '${suggested}'?` : '';
      const expected = options.length === 1 ? options[0]! : `one of ${options.join(' | ')}`;
      return [
        problem('E_CONFIG_INVALID_VALUE', `expected ${expected}, got ${got()}${suffix}`, allowedValuesHint(path, options, suggested)),
      ];
    }
    case 'too_small':
    case 'too_big': {
      const hint = sizeHint(issue, path, ctx);
      if (!/^Too (small|big)/.test(issue.message)) return [problem('E_CONFIG_INVALID_VALUE', issue.message, hint)];
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      const op = `${small ? '>' : '<'}${issue.inclusive ? '=' : ''}`;
      let detail: string;
      if (issue.origin === 'string') {
        detail = small && Number(bound) === 1 ? 'must not be empty' : `expected ${op} ${bound} characters`;
      } else if (issue.origin === 'array' || issue.origin === 'set') {
        detail = `expected ${op} ${bound} items`;
      } else detail = `expected a number ${op} ${bound}, got ${got()}`;
      return [problem('E_CONFIG_INVALID_VALUE', detail, hint)];
    }
    case 'invalid_format': {
      const hint = formatHint(issue, path, own());
      if (!issue.message.startsWith('Invalid')) return [problem('E_CONFIG_INVALID_VALUE', `${issue.message}, got ${got()}`, hint)];
      const what = issue.format === 'url' ? 'a URL' : issue.format === 'regex' ? `text matching ${issue.pattern}` : `a valid ${issue.format}`;
      return [problem('E_CONFIG_INVALID_VALUE', `expected ${what}, got ${got()}`, hint)];
    }
    case 'custom': {
      const params = issue.params as { code?: unknown; duplicateOf?: KeyPath; hint?: unknown } | undefined;
      if (params?.code === 'E_CONFIG_DUPLICATE_BINDING' && params.duplicateOf) {
        // duplicateOf is relative to the list, as is the last two steps of this path (index, key).
        const list = path.slice(0, -2);
        const first = [...list, ...params.duplicateOf];
        const firstLine = ctx.lineOf?.(first);
        const line = ctx.lineOf?.(path);
        return [
          problem(
            'E_CONFIG_DUPLICATE_BINDING',
            `${got()} is already the binding of ${formatKeyPath(first)} (lines ${firstLine ?? '?'} and ${line ?? '?'})`,
            'a binding names one database of the Worker: remove one of the two entries, or rename one binding',
          ),
        ];
      }
      return [problem('E_CONFIG_INVALID', issue.message, typeof params?.hint === 'string' ? params.hint : genericHint(path))];
    }
    default:
      return [problem('E_CONFIG_INVALID', issue.message, genericHint(path))];
  }
}

// ---------------------------------------------------------------- hints
//
// Hints show what to write. They may repeat what the user wrote, but never a value that
// came from ${VAR} expansion (callers pass `own()`, undefined for those): it may be a secret.

/** Example values per key, for hints that need one. Keys not listed get a placeholder. */
const EXAMPLES: Record<string, string> = {
  name: 'my-app',
  environment: 'staging',
  target: 'local',
  binding: 'DB',
  migrations: 'migrations',
  database_id: 'my-database',
  migrations_table: 'd1_migrations',
  state: '.promote/envs/dev',
  main: 'src/index.ts',
  compatibility_date: '2025-01-01',
  port: '8787',
  url: '/health',
  method: 'GET',
  status: '200',
  maxLatency: '500ms',
  timeout: '5s',
  retries: '2',
  consecutive: '1',
  soak: '30s',
  bookmark: 'true',
  allowGaps: 'true',
  schemaDrift: 'warn',
  database: 'time-travel',
  env: 'staging',
  config: 'wrangler.jsonc',
};

/** Keys whose value is a list or mapping: what their first lines look like. */
const STRUCTURE_EXAMPLES: Record<string, string> = {
  stages: '`stages:` followed by lines like `  - environment: staging`',
  databases: '`databases:` followed by lines like `  - binding: DB`',
  health: '`health:` followed by lines like `  - url: /health`',
  wrangler: '`wrangler:` followed by an indented line `  env: staging` (the env.<name> block of your wrangler config)',
  worker: '`worker:` followed by indented `key: value` lines',
  expect: '`expect:` followed by an indented line like `  status: 200`',
  rollback: '`rollback:` followed by an indented line like `  database: time-travel`',
  headers: '`headers:` followed by indented lines like `  Authorization: Bearer ${TOKEN}`',
  vars: '`vars:` followed by indented lines like `  GREETING: hello`',
  compatibility_flags: '`compatibility_flags:` followed by lines like `  - nodejs_compat`',
  schemaIgnore: '`schemaIgnore:` followed by lines like `  - \'cache_*\'`',
};

const DURATION_KEYS = new Set(['timeout', 'soak', 'maxLatency']);

function lastKey(path: KeyPath): string | undefined {
  const last = path[path.length - 1];
  return typeof last === 'string' ? last : undefined;
}

/** `key: value` for the last key of `path`, or `- value` for a list item. */
function written(path: KeyPath, value: string): string {
  const key = lastKey(path);
  if (key !== undefined) return `${key}: ${value}`;
  return path.length === 0 ? value : `- ${value}`;
}

function orList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** "to this stage", "to health[0].expect", "at the top level of the file". */
function whereToAdd(path: KeyPath): string {
  const parent = path.slice(0, -1);
  if (parent.length === 0) return 'at the top level of the file';
  if (parent.length === 2 && parent[0] === 'stages' && typeof parent[1] === 'number') return 'to this stage';
  return `to ${formatKeyPath(parent)}`;
}

function exampleValue(path: KeyPath, expected: string): string {
  const key = lastKey(path);
  if (key !== undefined && EXAMPLES[key] !== undefined) return EXAMPLES[key];
  if (expected === 'number' || expected === 'integer') return '1';
  if (expected === 'boolean') return 'true';
  return `<${key ?? 'value'}>`;
}

/** How to write the key at `path` with a value of the expected kind, in backticks. */
function exampleEntry(path: KeyPath, expected: string): string {
  const key = lastKey(path);
  if ((expected === 'list' || expected === 'mapping') && key !== undefined) {
    return STRUCTURE_EXAMPLES[key] ?? `\`${key}:\` followed by ${expected === 'list' ? '`- item` lines' : 'indented `key: value` lines'}`;
  }
  if (key === 'environment') return '`environment: <name>` (the name of a file environments/<name>.yaml)';
  return `\`${written(path, exampleValue(path, expected))}\``;
}

function typeHint(path: KeyPath, expected: string, value: unknown, own: unknown): string {
  const key = lastKey(path);
  switch (expected) {
    case 'number':
    case 'integer': {
      const whole = expected === 'integer' ? 'a whole number' : 'a number';
      // "200" -> status: 200; anything else gets the example.
      const n = typeof own === 'string' && own.trim() !== '' && Number.isFinite(Number(own)) ? Number(own) : undefined;
      if (typeof value === 'number') return `write ${whole}, e.g. ${written(path, exampleValue(path, expected))}`;
      const shown = n !== undefined && (expected === 'number' || Number.isInteger(n)) ? String(n) : exampleValue(path, expected);
      return `write ${whole}, without quotes: ${written(path, shown)}`;
    }
    case 'boolean': {
      const text = typeof own === 'string' ? own.trim().toLowerCase() : undefined;
      const b = text === undefined ? undefined : ['true', 'yes', 'on', '1'].includes(text) ? 'true' : ['false', 'no', 'off', '0'].includes(text) ? 'false' : undefined;
      return `write true or false, without quotes: ${written(path, b ?? 'true')}`;
    }
    case 'string': {
      if (value === null) return `write a value after \`${key ?? '-'}${key !== undefined ? ':' : ''}\`, e.g. ${written(path, exampleValue(path, expected))}`;
      if (typeof value === 'number' || typeof value === 'boolean') {
        const shown = typeof own === 'number' || typeof own === 'boolean' ? String(own) : '...';
        return `put the value in quotes to make it text: ${written(path, `"${shown}"`)}`;
      }
      return `write a single text value instead of a ${kindOf(value)}, e.g. ${written(path, exampleValue(path, expected))}`;
    }
    case 'list':
      return `write ${exampleEntry(path, 'list')}; a list item starts with "- "`;
    case 'mapping':
      return `write ${exampleEntry(path, 'mapping')}`;
    default:
      return `write a ${expected} here, e.g. ${written(path, exampleValue(path, expected))}`;
  }
}

function unionTypeHint(path: KeyPath, expected: string[]): string {
  const key = lastKey(path);
  if (key !== undefined && DURATION_KEYS.has(key)) {
    return `write a duration such as 500ms, 5s or 2m, or a number of milliseconds: ${written(path, exampleValue(path, 'string'))}`;
  }
  return `write ${expected.map((e) => `a ${e}`).join(' or ')}, e.g. ${written(path, exampleValue(path, expected[0] ?? 'string'))}`;
}

/** "use target: local or target: cloudflare"; longer lists name the values once. */
function allowedValuesHint(path: KeyPath, options: string[], suggested: string | undefined): string {
  if (options.length === 1) return `use ${written(path, options[0]!)}`;
  if (options.length <= 3) return `use ${orList(options.map((o) => written(path, o)))}`;
  return `use one of ${options.join(', ')}, e.g. ${written(path, suggested ?? options[0]!)}`;
}

function sizeHint(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, path: KeyPath, ctx: IssueContext): string {
  const key = lastKey(path);
  const small = issue.code === 'too_small';
  const bound = Number(small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  if (issue.origin === 'string') {
    return small
      ? `write a value after \`${key ?? '-'}${key !== undefined ? ':' : ''}\`; it cannot be empty (e.g. ${written(path, exampleValue(path, 'string'))})`
      : `shorten the text to at most ${bound} characters`;
  }
  if (issue.origin === 'array' || issue.origin === 'set') {
    if (!small) return `remove entries until at most ${bound} remain`;
    const example = key !== undefined ? STRUCTURE_EXAMPLES[key] : undefined;
    return `add at least ${bound} ${bound === 1 ? 'entry' : 'entries'}${example ? `: write ${example}` : ''}`;
  }
  // A number: say the whole allowed range when the schema knows it.
  const schema = schemaAt(ctx.schema, ctx.data, path) as { minValue?: unknown; maxValue?: unknown; isInt?: unknown } | undefined;
  const min = typeof schema?.minValue === 'number' && Number.isFinite(schema.minValue) ? schema.minValue : undefined;
  const max = typeof schema?.maxValue === 'number' && Number.isFinite(schema.maxValue) ? schema.maxValue : undefined;
  const whole = schema?.isInt === true ? 'a whole number' : 'a number';
  let range: string;
  if (min !== undefined && max !== undefined) range = `${whole} from ${min} to ${max}`;
  else if (small) range = `${whole} ${issue.inclusive ? '>=' : '>'} ${bound}`;
  else range = `${whole} ${issue.inclusive ? '<=' : '<'} ${bound}`;
  const example = key !== undefined ? EXAMPLES[key] : undefined;
  const fits = example !== undefined && Number.isFinite(Number(example)) && (min === undefined || Number(example) >= min) && (max === undefined || Number(example) <= max);
  return `use ${range}${fits ? `, e.g. ${written(path, example)}` : ''}`;
}

function formatHint(issue: z.core.$ZodIssueInvalidStringFormat, path: KeyPath, own: unknown): string {
  const key = lastKey(path);
  const text = typeof own === 'string' ? own : undefined;
  if (issue.format === 'url') return `write an absolute URL, e.g. ${written(path, 'https://my-worker.example.workers.dev')}`;
  if (key !== undefined && DURATION_KEYS.has(key)) {
    return `write a duration such as 500ms, 5s or 2m, or a number of milliseconds: ${written(path, exampleValue(path, 'string'))}`;
  }
  if (key === 'binding' || key === 'migrations_table') {
    const fixed = text?.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');
    const example = fixed && fixed !== text && /[A-Za-z0-9]/.test(fixed) ? fixed : exampleValue(path, 'string');
    return `use letters, digits and _ only, not starting with a digit: ${written(path, example)}`;
  }
  if (key === 'environment' || key === 'name') {
    const fixed = text?.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '');
    const example = fixed && fixed !== text ? fixed : exampleValue(path, 'string');
    return `use lower-case letters, digits, - or _, starting with a letter or digit: ${written(path, example)}`;
  }
  if (key === 'compatibility_date') return `write the date as YYYY-MM-DD: ${written(path, exampleValue(path, 'string'))}`;
  // A custom message reads "expected ..."; turn it into an instruction.
  const expected = /^expected (.+)$/.exec(issue.message)?.[1];
  if (expected !== undefined) return `write ${expected}`;
  return issue.format === 'regex' ? `write text matching ${issue.pattern}` : `write a valid ${issue.format}`;
}

function genericHint(path: KeyPath): string {
  return `correct ${formatKeyPath(path)}: schemas/*.schema.json describe what each key accepts (editors with the YAML extension check it as you type)`;
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
