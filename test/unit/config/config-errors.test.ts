/** One mistake per test, through loadProject, checking the exact file:line and message a user sees. */
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.js';
import { loadProblems, project, rendered, STAGING_ENV } from './project-fixture.js';

const stagingWith = (extra: string): Promise<string> =>
  project({ 'environments/staging.yaml': `${STAGING_ENV}${extra}` });

describe('schema mistakes', () => {
  it('points a wrong type at its file, line and key path', async () => {
    const root = await stagingWith('health:\n  - url: /health\n    expect:\n      status: "ok"\n');
    expect(rendered(await loadProblems(root))).toEqual([
      'environments/staging.yaml:7 error E_CONFIG_INVALID_TYPE: health[0].expect.status: expected number, received string',
    ]);
  });

  it('reports an unknown key at its own line with a did-you-mean and the allowed keys', async () => {
    const root = await stagingWith('helth:\n  - url: /health\n');
    const [problem] = await loadProblems(root);
    expect(problem).toMatchObject({
      code: 'E_CONFIG_UNKNOWN_KEY',
      file: 'environments/staging.yaml',
      line: 4,
      message: "helth: unknown key; did you mean 'health'?",
      hint: 'keys allowed here: target, wrangler, worker, backup, secrets, databases, health',
    });
  });

  it('matches an unknown key case-insensitively', async () => {
    const root = await project({
      'pipeline/pipeline.yaml': 'name: shop\nstages:\n  - environment: local\n  - environment: staging\n    Bookmark: true\n',
    });
    expect((await loadProblems(root))[0]!.message).toBe("stages[1].Bookmark: unknown key; did you mean 'bookmark'?");
  });

  it('offers no suggestion when nothing is close', async () => {
    const root = await stagingWith('colour: blue\n');
    expect((await loadProblems(root))[0]!.message).toBe('colour: unknown key');
  });

  it('explains a bad discriminator with the allowed values', async () => {
    const root = await project({ 'environments/staging.yaml': 'target: cloudfare\nwrangler:\n  env: staging\n' });
    expect(rendered(await loadProblems(root))).toEqual([
      'environments/staging.yaml:1 error E_CONFIG_INVALID_VALUE: target: expected one of local | cloudflare, got "cloudfare"; did you mean \'cloudflare\'?',
    ]);
  });

  it('reports a missing target as a missing key', async () => {
    const root = await project({ 'environments/staging.yaml': 'wrangler:\n  env: staging\n' });
    expect(rendered(await loadProblems(root))).toEqual([
      'environments/staging.yaml:1 error E_CONFIG_MISSING_KEY: target: required key is missing; expected one of local | cloudflare',
    ]);
  });

  it('reports a missing required key at its parent line', async () => {
    const root = await project({ 'environments/staging.yaml': 'target: cloudflare\nworker:\n  url: https://x.example\nwrangler:\n  config: wrangler.toml\n' });
    expect(rendered(await loadProblems(root))).toEqual([
      'environments/staging.yaml:4 error E_CONFIG_MISSING_KEY: wrangler.env: required key is missing (expected string)',
    ]);
  });

  it('suggests the right spelling of an enum value', async () => {
    const root = await stagingWith('health:\n  - url: /health\n    method: get\n');
    expect((await loadProblems(root))[0]!.message).toBe(
      'health[0].method: expected one of GET | HEAD | POST, got "get"; did you mean \'GET\'?',
    );
  });

  it('names both accepted types for a duration of the wrong type', async () => {
    const root = await stagingWith('health:\n  - url: /health\n    timeout: true\n    soak: 5 minutes\n');
    expect(rendered(await loadProblems(root))).toEqual([
      'environments/staging.yaml:6 error E_CONFIG_INVALID_TYPE: health[0].timeout: expected number or string, received boolean',
      'environments/staging.yaml:7 error E_CONFIG_INVALID_VALUE: health[0].soak: expected a duration like 500ms, 5s or 2m, got "5 minutes"',
    ]);
  });

  it('says what range a number must be in', async () => {
    const root = await stagingWith('health:\n  - url: /health\n    expect: { status: 42 }\n    retries: 1.5\n');
    expect((await loadProblems(root)).map((p) => p.message)).toEqual([
      'health[0].expect.status: expected a number >= 100, got 42',
      'health[0].retries: expected integer, received 1.5',
    ]);
  });

  it('keeps the schema’s own wording for a pipeline without stages', async () => {
    const root = await project({ 'pipeline/pipeline.yaml': 'name: shop\nstages: []\n' });
    const problems = await loadProblems(root);
    expect(problems[0]).toMatchObject({ line: 2, message: 'stages: a pipeline needs at least one stage' });
  });
});

describe('YAML mistakes', () => {
  it('reports malformed YAML at the line it breaks', async () => {
    const root = await project({ 'environments/staging.yaml': 'target: cloudflare\nwrangler:\n  env: "staging\nhealth: []\n' });
    expect(rendered(await loadProblems(root))).toEqual([
      'environments/staging.yaml:3:8 error E_CONFIG_YAML: Missing closing "quote',
    ]);
  });

  it('names a duplicate key and where it first appeared', async () => {
    const root = await project({ 'environments/staging.yaml': `${STAGING_ENV}health: []\ntarget: local\n` });
    const [problem] = await loadProblems(root);
    expect(problem).toMatchObject({
      code: 'E_CONFIG_DUPLICATE_KEY',
      line: 5,
      message: "duplicate key 'target' (first written at line 1)",
    });
  });

  it.each([
    ['an empty file', '', 'file is empty', 1],
    ['a comment-only file', '# todo\n', 'file is empty', 1],
    ['a top-level list', '- target: local\n', 'top level is a list', 1],
    ['a scalar', 'local\n', 'top level is a single value', 1],
  ])('refuses %s with a clear message', async (_what, text, start, line) => {
    const root = await project({ 'environments/staging.yaml': text });
    const [problem] = await loadProblems(root);
    expect(problem).toMatchObject({ code: 'E_CONFIG_NOT_MAPPING', file: 'environments/staging.yaml', line });
    expect(problem!.message).toBe(`${start}; expected a mapping of keys (such as \`name: ...\`)`);
  });

  it('refuses a Latin-1 file without crashing, naming the line', async () => {
    const bytes = Buffer.concat([Buffer.from('target: local\nstate: caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const root = await project({ 'environments/staging.yaml': bytes });
    expect(rendered(await loadProblems(root))).toEqual([
      'environments/staging.yaml:2 error E_CONFIG_ENCODING: file is not valid UTF-8 (first bad byte near line 2)',
    ]);
  });

  it('refuses binary and UTF-16 files', async () => {
    const root = await project({
      'environments/staging.yaml': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]),
      'environments/local.yaml': Buffer.from('\ufefftarget: local\n', 'utf16le'),
    });
    expect((await loadProblems(root)).map((p) => `${p.file} ${p.code}: ${p.message}`)).toEqual([
      'environments/local.yaml E_CONFIG_ENCODING: file is encoded as UTF-16 (little-endian), not UTF-8',
      'environments/staging.yaml E_CONFIG_ENCODING: file contains NUL bytes: it looks binary, not YAML text',
    ]);
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const root = await project({ 'environments/local.yaml': '\ufefftarget: local\n' });
    await expect(loadProject(root, { env: {} })).resolves.toBeDefined();
  });
});

describe('${VAR} interpolation', () => {
  it('reports an unset variable at its line with the fix', async () => {
    const root = await stagingWith('worker:\n  url: ${STAGING_URL}\n');
    const [problem] = await loadProblems(root, { env: {} });
    expect(problem).toEqual({
      severity: 'error',
      code: 'E_CONFIG_UNSET_VARIABLE',
      file: 'environments/staging.yaml',
      line: 5,
      message: 'worker.url: ${STAGING_URL} is not set',
      hint: 'set STAGING_URL in the environment or write ${STAGING_URL:-default}',
    });
  });

  it('uses the variable, the default, or the escaped literal', async () => {
    const root = await stagingWith(
      'worker:\n  url: ${STAGING_URL:-https://fallback.example}\nhealth:\n  - url: /health\n    headers:\n      X-Env: ${DEPLOY_ENV}\n      X-Literal: "$${DEPLOY_ENV} and $$ stays"\n',
    );
    const { project: p } = await loadProject(root, { env: { DEPLOY_ENV: 'ci' } });
    const staging = p.environments.get('staging')!.config;
    expect(staging.target === 'cloudflare' && staging.worker?.url).toBe('https://fallback.example');
    expect(staging.health[0]!.headers).toEqual({ 'X-Env': 'ci', 'X-Literal': '${DEPLOY_ENV} and $$ stays' });
  });

  it('never echoes an interpolated value in a message', async () => {
    const root = await stagingWith('worker:\n  url: ${SECRET_URL}\nhealth:\n  - url: /h\n    method: ${SECRET_METHOD}\n');
    const problems = await loadProblems(root, { env: { SECRET_URL: 'hunter2-not-a-url', SECRET_METHOD: 'hunter3' } });
    expect(rendered(problems)).toEqual([
      'environments/staging.yaml:5 error E_CONFIG_INVALID_VALUE: worker.url: expected a URL, got "${SECRET_URL}"',
      'environments/staging.yaml:8 error E_CONFIG_INVALID_VALUE: health[0].method: expected one of GET | HEAD | POST, got "${SECRET_METHOD}"',
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/hunter/);
  });

  it('keeps a quoted ${VAR} a string but types an unquoted one', async () => {
    const root = await project({
      'environments/local.yaml': 'target: local\nworker:\n  main: src/index.ts\n  port: "${PORT}"\n',
    });
    expect(rendered(await loadProblems(root, { env: { PORT: '8080' } }))).toEqual([
      'environments/local.yaml:4 error E_CONFIG_INVALID_TYPE: worker.port: expected number, received string',
    ]);
  });

  it('reports a malformed ${ and does not pile a schema error on top', async () => {
    const root = await stagingWith('worker:\n  url: https://${HOST\n');
    expect(rendered(await loadProblems(root, { env: { HOST: 'x' } }))).toEqual([
      'environments/staging.yaml:5 error E_CONFIG_BAD_INTERPOLATION: worker.url: "${" must be followed by a variable name and "}", as in ${NAME} or ${NAME:-default}',
    ]);
  });
});
