/**
 * Every config Problem says what to do (`fix:` in the CLI), and a hint never repeats a
 * value that came from ${VAR} expansion.
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/config-file.js';
import { interpolate } from '../../../src/config/interpolate.js';
import { validateEnvironment, validatePipeline } from '../../../src/config/validate.js';
import { decodeConfigText, parseYamlSource } from '../../../src/config/yaml-source.js';
import type { Problem } from '../../../src/problems.js';

const problemsOf = (r: { problems?: Problem[] } | object): Problem[] => ('problems' in r ? (r.problems ?? []) : []);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function expectHints(problems: Problem[]): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.hint, `${p.code} ${p.message} has no hint`).toMatch(/\S/);
    // A hint is an instruction, not a restatement of the error.
    expect(p.hint).not.toBe(p.message);
  }
}

describe('hints on schema problems', () => {
  it.each([
    ['wrong type', { target: 'local', health: [{ url: '/h', expect: { status: '200' } }] }, 'E_CONFIG_INVALID_TYPE', 'write a number, without quotes: status: 200'],
    ['bad target', { target: 'locl' }, 'E_CONFIG_INVALID_VALUE', 'use target: local or target: cloudflare'],
    ['missing target', {}, 'E_CONFIG_MISSING_KEY', 'add `target: local` or `target: cloudflare` at the top level of the file'],
    ['missing wrangler.env', { target: 'cloudflare', wrangler: {} }, 'E_CONFIG_MISSING_KEY', 'add `env: staging` to wrangler'],
    ['out of range', { target: 'local', health: [{ url: '/h', retries: 1000 }] }, 'E_CONFIG_INVALID_VALUE', 'use a whole number from 0 to 100, e.g. retries: 2'],
    ['not an identifier', { target: 'local', databases: [{ binding: 'my-db' }] }, 'E_CONFIG_INVALID_VALUE', 'use letters, digits and _ only, not starting with a digit: binding: my_db'],
    ['bad date', { target: 'local', worker: { main: 'w.ts', compatibility_date: '2024' } }, 'E_CONFIG_INVALID_VALUE', 'write the date as YYYY-MM-DD: compatibility_date: 2025-01-01'],
    ['duration of the wrong type', { target: 'local', health: [{ url: '/h', timeout: true }] }, 'E_CONFIG_INVALID_TYPE', 'write a duration such as 500ms, 5s or 2m, or a number of milliseconds: timeout: 5s'],
    ['bad URL', { target: 'cloudflare', wrangler: { env: 's' }, worker: { url: 'nope' } }, 'E_CONFIG_INVALID_VALUE', 'write an absolute URL, e.g. url: https://my-worker.example.workers.dev'],
  ] as const)('environment: %s', (_what, doc, code, hint) => {
    const problems = problemsOf(validateEnvironment(doc, 'environments/dev.yaml'));
    expectHints(problems);
    expect(problems.map((p) => [p.code, p.hint])).toContainEqual([code, hint]);
  });

  it.each([
    ['stage without environment', { name: 'p', stages: [{ bookmark: true }] }, 'E_CONFIG_MISSING_KEY', 'add `environment: <name>` (the name of a file environments/<name>.yaml) to this stage'],
    ['rollback policy', { name: 'p', stages: [{ environment: 'dev' }], rollback: { database: 'time_travel' } }, 'E_CONFIG_INVALID_VALUE', 'use one of time-travel, down-migrations, auto, none, e.g. database: time-travel'],
    ['allowGaps as text', { name: 'p', stages: [{ environment: 'dev' }], migrations: { allowGaps: 'yes' } }, 'E_CONFIG_INVALID_TYPE', 'write true or false, without quotes: allowGaps: true'],
    ['no stages', { name: 'p', stages: [] }, 'E_CONFIG_INVALID_VALUE', 'add at least 1 entry: write `stages:` followed by lines like `  - environment: staging`'],
    ['empty name', { name: '', stages: [{ environment: 'dev' }] }, 'E_CONFIG_INVALID_VALUE', 'write a value after `name:`; it cannot be empty (e.g. name: my-app)'],
    ['a mapping for a list', { name: 'p', stages: { environment: 'dev' } }, 'E_CONFIG_INVALID_TYPE', 'write `stages:` followed by lines like `  - environment: staging`; a list item starts with "- "'],
    ['a number for text', { name: 3, stages: [{ environment: 'dev' }] }, 'E_CONFIG_INVALID_TYPE', 'put the value in quotes to make it text: name: "3"'],
    ['unknown key', { name: 'p', stages: [{ environment: 'dev', bookmarkk: true }] }, 'E_CONFIG_UNKNOWN_KEY', 'keys allowed here: environment, bookmark, backup'],
  ] as const)('pipeline: %s', (_what, doc, code, hint) => {
    const problems = problemsOf(validatePipeline(doc, 'pipeline/pipeline.yaml'));
    expectHints(problems);
    expect(problems.map((p) => [p.code, p.hint])).toContainEqual([code, hint]);
  });

  it('never repeats an interpolated value (a secret) in a hint', () => {
    const secret = 'sk-live-0123456789';
    const env = { T: secret, S: '987654', B: 'my-secret-binding', G: 'yes' };
    const text = [
      'target: ${T}',
      'databases:',
      '  - binding: ${B}',
      'health:',
      '  - url: /h',
      '    expect:',
      '      status: "${S}"',
      '',
    ].join('\n');
    const local = parseConfigText(enc(text), 'environments/dev.yaml', env, validateEnvironment);
    const typed = parseConfigText(
      enc(text.replace('${T}', 'local')),
      'environments/dev.yaml',
      env,
      validateEnvironment,
    );
    const pipeline = parseConfigText(
      enc('name: p\nstages:\n  - environment: dev\n    bookmark: "${G}"\n'),
      'pipeline/pipeline.yaml',
      env,
      validatePipeline,
    );
    const all = [...local.problems, ...typed.problems, ...pipeline.problems];
    expectHints(all);
    expect(all.map((p) => p.code)).toEqual(
      expect.arrayContaining(['E_CONFIG_INVALID_VALUE', 'E_CONFIG_INVALID_TYPE']),
    );
    for (const p of all) {
      for (const value of [secret, '987654', 'my-secret-binding', 'my_secret_binding']) {
        expect(`${p.message}\n${p.hint}`).not.toContain(value);
      }
    }
  });
});

describe('hints on YAML, encoding and interpolation problems', () => {
  it.each([
    ['syntax error', 'a: "open\n'],
    ['tab indentation', 'a:\n\t- x\n'],
    ['duplicate key', 'a: 1\na: 2\n'],
    ['empty file', ''],
    ['top-level list', '- a\n'],
    ['top-level scalar', 'just text\n'],
    ['recursive alias', 'a: &a\n  b: *a\n'],
    ['alias bomb', ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 6 }, (_, i) => `b${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`)].join('\n') + '\n'],
  ])('%s', (_what, text) => {
    expectHints(problemsOf(parseYamlSource(text, 'f.yaml')));
  });

  it.each([
    ['UTF-16', new Uint8Array([0xff, 0xfe, 0x61, 0x00])],
    ['NUL bytes', new Uint8Array([0x61, 0x00, 0x62])],
    ['Latin-1', new Uint8Array([...enc('a: 1\nb: caf'), 0xe9, 0x0a])],
  ])('encoding: %s', (_what, bytes) => {
    expectHints(problemsOf(decodeConfigText(bytes, 'f.yaml')));
  });

  it('interpolation', () => {
    const out = interpolate({ a: '${UNSET_FOR_HINT_TEST}', b: 'x ${' }, { file: 'f.yaml', env: {} });
    expect(out.problems.map((p) => p.code).sort()).toEqual(['E_CONFIG_BAD_INTERPOLATION', 'E_CONFIG_UNSET_VARIABLE']);
    expectHints(out.problems);
  });
});

describe('E_CONFIG_ENCODING line', () => {
  it('carries the line of the first byte that is not UTF-8', () => {
    const bytes = new Uint8Array([...enc('a: 1\nb: 2\nc: caf'), 0xe9, 0x0a]);
    expect(problemsOf(decodeConfigText(bytes, 'f.yaml'))).toMatchObject([{ code: 'E_CONFIG_ENCODING', line: 3 }]);
  });

  it('has no line when the whole file is the problem', () => {
    const [problem] = problemsOf(decodeConfigText(new Uint8Array([0xff, 0xfe, 0x61, 0x00]), 'f.yaml'));
    expect(problem).toBeDefined();
    expect(problem!.line).toBeUndefined();
  });
});
