import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../../src/config/did-you-mean.js';
import { formatKeyPath } from '../../../src/config/key-path.js';
import { validateEnvironment, validatePipeline } from '../../../src/config/validate.js';

describe('validatePipeline / validateEnvironment (pure)', () => {
  it('returns the typed value with defaults', () => {
    expect(validatePipeline({ name: 'p', stages: [{ environment: 'prod' }] }, 'p.yaml')).toEqual({
      value: {
        name: 'p',
        stages: [{ environment: 'prod', bookmark: false, backup: false }],
        rollback: { database: 'time-travel' },
        migrations: { allowGaps: false },
      },
    });
  });

  it('returns every problem, without lines when no line lookup is given', () => {
    const result = validateEnvironment(
      { target: 'local', databases: [{ binding: 'my db', migration: 'm' }], worker: { main: 'w.ts', compatibility_date: '2024' } },
      'environments/dev.yaml',
    );
    expect('problems' in result && result.problems.map((p) => `${p.code} ${p.message}`)).toEqual([
      'E_CONFIG_INVALID_VALUE databases[0].binding: expected a JavaScript identifier such as DB (the Worker binding name), got "my db"',
      "E_CONFIG_UNKNOWN_KEY databases[0].migration: unknown key; did you mean 'migrations'?",
      'E_CONFIG_INVALID_VALUE worker.compatibility_date: expected YYYY-MM-DD, got "2024"',
    ]);
    expect('problems' in result && result.problems.every((p) => p.line === undefined && p.file === 'environments/dev.yaml')).toBe(true);
  });

  it('walks into the branch the discriminator picked to find known keys', () => {
    const result = validateEnvironment({ target: 'cloudflare', wrangler: { env: 's', confg: 'w.toml' }, state: 'x' }, 'e.yaml');
    expect('problems' in result && result.problems.map((p) => [p.message, p.hint])).toEqual([
      ["wrangler.confg: unknown key; did you mean 'config'?", 'keys allowed here: env, config'],
      // `state` exists on local environments only: no suggestion, but the allowed keys.
      ['state: unknown key', 'keys allowed here: target, wrangler, worker, backup, secrets, databases, health'],
    ]);
  });

  it('names the wrong shape in YAML words', () => {
    const result = validatePipeline({ name: 'p', stages: { environment: 'x' }, rollback: null }, 'p.yaml');
    expect('problems' in result && result.problems.map((p) => p.message)).toEqual([
      'stages: expected list, received mapping',
      'rollback: expected mapping, received null',
    ]);
  });

  it('drops problems under paths that were already reported', () => {
    const result = validatePipeline({ name: 'p', stages: [{ environment: '${X}' }] }, 'p.yaml', {
      ignore: new Set(['["stages",0,"environment"]']),
    });
    expect(result).toEqual({ problems: [] });
  });
});

describe('helpers', () => {
  it('formats key paths the way messages print them', () => {
    expect(formatKeyPath(['health', 0, 'expect', 'status'])).toBe('health[0].expect.status');
    expect(formatKeyPath(['health', 0, 'headers', 'X.Trace id'])).toBe('health[0].headers["X.Trace id"]');
    expect(formatKeyPath([])).toBe('(top level)');
  });

  it.each([
    ['bookmrk', ['environment', 'bookmark'], 'bookmark'],
    ['BOOKMARK', ['environment', 'bookmark'], 'bookmark'],
    ['prod', ['local', 'production'], 'production'],
    ['xyz', ['local', 'staging'], undefined],
    ['ur', ['url', 'name'], 'url'],
  ])('didYouMean(%s) -> %s', (input, candidates, expected) => {
    expect(didYouMean(input, candidates)).toBe(expected);
  });
});

describe('duplicate database bindings', () => {
  it('reports the second entry, naming both lines', async () => {
    const { parseConfigText } = await import('../../../src/config/config-file.js');
    const text = 'target: local\ndatabases:\n  - binding: DB\n  - binding: OTHER\n  - binding: DB\n    migrations: other\n';
    const file = parseConfigText(new TextEncoder().encode(text), 'environments/dev.yaml', {}, validateEnvironment);
    expect(file.problems).toMatchObject([
      {
        code: 'E_CONFIG_DUPLICATE_BINDING',
        file: 'environments/dev.yaml',
        line: 5,
        message: 'databases[2].binding: "DB" is already the binding of databases[0].binding (lines 3 and 5)',
        hint: expect.stringMatching(/remove one/),
      },
    ]);
  });

  it('is reported alongside other mistakes in the same list', () => {
    const result = validateEnvironment(
      { target: 'local', databases: [{ binding: 'DB' }, { binding: 'my-db' }, { binding: 'DB' }] },
      'e.yaml',
    );
    expect('problems' in result && result.problems.map((p) => p.code).sort()).toEqual([
      'E_CONFIG_DUPLICATE_BINDING',
      'E_CONFIG_INVALID_VALUE',
    ]);
  });

  it('keeps distinct bindings (and the output type) as they were', () => {
    const result = validateEnvironment({ target: 'local', databases: [{ binding: 'DB' }, { binding: 'DB2' }] }, 'e.yaml');
    expect('value' in result && result.value.target === 'local' && result.value.databases.map((d) => d.binding)).toEqual(['DB', 'DB2']);
  });
});
