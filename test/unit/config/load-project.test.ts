import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.js';
import { formatProblem } from '../../../src/problems.js';
import { loadProblems, makeProject, PIPELINE, project, rendered, STAGING_ENV } from './project-fixture.js';

const VALID = fileURLToPath(new URL('../../fixtures/config/valid', import.meta.url));

describe('loadProject: a valid project', () => {
  it('loads every file with defaults applied', async () => {
    const { project: p, warnings } = await loadProject(VALID, { env: { SHOP_TOKEN: 't0ken' } });
    expect(warnings).toEqual([]);
    expect(p.root).toBe(path.resolve(VALID));
    expect(p.pipelineFile).toBe('pipeline/pipeline.yaml');
    expect(p.pipeline).toEqual({
      name: 'shop',
      stages: [
        { environment: 'local', bookmark: false, backup: false },
        { environment: 'staging', bookmark: true, backup: false },
      ],
      rollback: { database: 'time-travel' },
      migrations: { allowGaps: false },
    });
    expect([...p.environments.keys()]).toEqual(['local', 'staging']);

    const local = p.environments.get('local')!;
    expect(local.file).toBe('environments/local.yaml');
    expect(local.config).toMatchObject({
      target: 'local',
      databases: [{ binding: 'DB', migrations: 'migrations', migrations_table: 'd1_migrations' }],
      // An unquoted ${VAR:-default} is typed as YAML would type the text.
      worker: { main: 'src/index.ts', port: 8787 },
    });

    const staging = p.environments.get('staging')!.config;
    expect(staging.target).toBe('cloudflare');
    expect(staging.health[0]).toEqual({
      url: '/health',
      method: 'GET',
      headers: { Authorization: 'Bearer t0ken' },
      expect: { status: 200, maxLatency: 750 },
      timeout: 2000,
      retries: 2,
      consecutive: 1,
      soak: 0,
    });
  });

  it('reports an environment no stage uses as a warning, not an error', async () => {
    const root = await project({ 'environments/preview.yaml': 'target: local\n' });
    const { project: p, warnings } = await loadProject(root, { env: {} });
    expect(p.environments.has('preview')).toBe(true);
    expect(rendered(warnings)).toEqual([
      "environments/preview.yaml warning W_CONFIG_UNUSED_ENVIRONMENT: environment 'preview' is not used by any stage in pipeline/pipeline.yaml",
    ]);
  });

  it('ignores files that are not YAML in environments/', async () => {
    const root = await project({ 'environments/README.md': '# notes\n' });
    await expect(loadProject(root, { env: {} })).resolves.toMatchObject({ warnings: [] });
  });
});

describe('loadProject: files and names', () => {
  it('says how to fix a missing pipeline file', async () => {
    const root = await makeProject({ 'environments/local.yaml': 'target: local\n' });
    const [problem] = await loadProblems(root);
    expect(problem).toMatchObject({ code: 'E_CONFIG_NO_PIPELINE', file: 'pipeline/pipeline.yaml' });
    expect(problem!.message).toBe(`no pipeline/pipeline.yaml in ${root}: create it or pass --cwd <project dir>`);
  });

  it('asks to rename .yml files instead of reading them', async () => {
    const root = await makeProject({
      'pipeline/pipeline.yml': PIPELINE,
      'environments/staging.yml': STAGING_ENV,
      'environments/local.yaml': 'target: local\n',
    });
    const problems = await loadProblems(root);
    // No pipeline was read, so nothing can be said about unused environments.
    expect(problems.map((p) => [p.code, p.file, p.hint])).toEqual([
      ['E_CONFIG_YML_EXTENSION', 'environments/staging.yml', 'rename it to environments/staging.yaml'],
      ['E_CONFIG_YML_EXTENSION', 'pipeline/pipeline.yml', 'rename it to pipeline/pipeline.yaml'],
    ]);
  });

  it('does not also call a stage unknown when its file only has the .yml spelling', async () => {
    const withYml = await makeProject({
      'pipeline/pipeline.yaml': PIPELINE,
      'environments/local.yaml': 'target: local\n',
      'environments/staging.yml': STAGING_ENV,
    });
    expect((await loadProblems(withYml)).map((p) => p.code)).toEqual(['E_CONFIG_YML_EXTENSION']);
  });

  it('rejects an environment file name that no stage could name', async () => {
    const root = await project({ 'environments/Preview.yaml': 'target: local\n' });
    const problems = await loadProblems(root);
    expect(rendered(problems)).toEqual([
      "environments/Preview.yaml error E_CONFIG_ENVIRONMENT_NAME: 'Preview' cannot be an environment name: expected lower-case letters, digits, - or _",
    ]);
  });
});

describe('loadProject: stages against environment files', () => {
  it('names a missing environment with a did-you-mean, at the stage line', async () => {
    const root = await project({
      'pipeline/pipeline.yaml': 'name: shop\nstages:\n  - environment: local\n  - environment: stagign\n',
    });
    const [problem, ...rest] = await loadProblems(root);
    expect(formatProblem(problem!)).toBe(
      "pipeline/pipeline.yaml:4 error E_CONFIG_UNKNOWN_ENVIRONMENT: stages[1].environment: no file environments/stagign.yaml; did you mean 'staging'?\n" +
        '    fix: create environments/stagign.yaml or name one of: local, staging',
    );
    // staging.yaml is now unused: reported too, as a warning, in the same throw.
    expect(rendered(rest)).toEqual([
      "environments/staging.yaml warning W_CONFIG_UNUSED_ENVIRONMENT: environment 'staging' is not used by any stage in pipeline/pipeline.yaml",
    ]);
  });

  it('names both lines when an environment is a stage twice', async () => {
    const root = await project({
      'pipeline/pipeline.yaml':
        'name: shop\nstages:\n  - environment: local\n  - environment: staging\n    bookmark: true\n  - environment: local\n',
    });
    expect(rendered(await loadProblems(root))).toEqual([
      "pipeline/pipeline.yaml:6 error E_CONFIG_DUPLICATE_STAGE: stages[2].environment: 'local' is already a stage (lines 3 and 6)",
    ]);
  });

  it('still checks stages when another key of the pipeline is wrong', async () => {
    const root = await project({ 'pipeline/pipeline.yaml': `${PIPELINE}  - environment: prod\nrollbak: {}\n` });
    expect((await loadProblems(root)).map((p) => `${p.line} ${p.code}`)).toEqual([
      '5 E_CONFIG_UNKNOWN_ENVIRONMENT',
      '6 E_CONFIG_UNKNOWN_KEY',
    ]);
  });
});

describe('loadProject: every problem at once', () => {
  it('reports problems from several files together, sorted by file and line', async () => {
    const root = await project({
      'pipeline/pipeline.yaml': 'name: shop\nstages:\n  - environment: local\n    bookmrk: true\n  - environment: staging\n',
      'environments/local.yaml': 'target: locl\n',
      'environments/staging.yaml': `${STAGING_ENV}health:\n  - url: /health\n    retries: many\n  - url: \${HEALTH_URL}\n`,
      'environments/broken.yaml': 'target: local\n\thealth: []\n',
    });
    expect(rendered(await loadProblems(root, { env: {} }))).toEqual([
      'environments/broken.yaml:2:1 error E_CONFIG_YAML: Tabs are not allowed as indentation',
      'environments/local.yaml:1 error E_CONFIG_INVALID_VALUE: target: expected one of local | cloudflare, got "locl"; did you mean \'local\'?',
      'environments/staging.yaml:6 error E_CONFIG_INVALID_TYPE: health[0].retries: expected number, received string',
      'environments/staging.yaml:7 error E_CONFIG_UNSET_VARIABLE: health[1].url: ${HEALTH_URL} is not set',
      "pipeline/pipeline.yaml:4 error E_CONFIG_UNKNOWN_KEY: stages[0].bookmrk: unknown key; did you mean 'bookmark'?",
      "environments/broken.yaml warning W_CONFIG_UNUSED_ENVIRONMENT: environment 'broken' is not used by any stage in pipeline/pipeline.yaml",
    ]);
  });
});
