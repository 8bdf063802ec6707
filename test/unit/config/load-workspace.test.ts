/**
 * loadWorkspace reports config problems and migration problems in one run: a config
 * error must not hide what is wrong with the migrations.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { loadWorkspace } from '../../../src/engine/load-workspace.js';
import type { Problem } from '../../../src/problems.js';
import { makeProject } from './project-fixture.js';

const PIPELINE = 'name: shop\nstages:\n  - environment: dev\n';
const ATTACH = "CREATE TABLE t (id INTEGER PRIMARY KEY);\nATTACH DATABASE 'x.db' AS x;\n";
const OK = 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n';

async function workspaceProblems(files: Record<string, string>): Promise<Problem[]> {
  const root = await makeProject(files);
  const err = await loadWorkspace(root, {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidInputError);
  return (err as InvalidInputError).problems;
}

const where = (problems: Problem[]): string[] => problems.map((p) => `${p.file}:${p.line ?? ''} ${p.code}`);

describe('loadWorkspace with an invalid config', () => {
  it('still lints the default migrations folder, and sorts everything together', async () => {
    const problems = await workspaceProblems({
      'pipeline/pipeline.yaml': `${PIPELINE}    bookmarkk: true\n`,
      'environments/dev.yaml': 'target: local\ndatabases:\n  - binding: my-db\n',
      'migrations/0001_init.sql': OK,
      'migrations/0002_attach.sql': ATTACH,
    });
    expect(where(problems)).toEqual([
      'environments/dev.yaml:3 E_CONFIG_INVALID_VALUE',
      'migrations/0002_attach.sql:2 E_ATTACH',
      'pipeline/pipeline.yaml:4 E_CONFIG_UNKNOWN_KEY',
    ]);
  });

  it('lints the folder of an environment file that is valid on its own', async () => {
    const problems = await workspaceProblems({
      'pipeline/pipeline.yaml': `${PIPELINE}rollback:\n  database: snapshots\n`,
      'environments/dev.yaml': 'target: local\ndatabases:\n  - binding: DB\n    migrations: db/main/\n',
      'db/main/0001_init.sql': OK,
      'db/main/0002_attach.sql': ATTACH,
    });
    expect(where(problems)).toEqual(['db/main/0002_attach.sql:2 E_ATTACH', 'pipeline/pipeline.yaml:5 E_CONFIG_INVALID_VALUE']);
  });

  it('lints a folder written in an environment file that did not validate', async () => {
    const problems = await workspaceProblems({
      'pipeline/pipeline.yaml': PIPELINE,
      'environments/dev.yaml': 'target: local\ndatabases:\n  - binding: my-db\n    migrations: ./db/other\n',
      'db/other/0001_attach.sql': ATTACH,
    });
    expect(where(problems)).toEqual(['db/other/0001_attach.sql:2 E_ATTACH', 'environments/dev.yaml:3 E_CONFIG_INVALID_VALUE']);
  });

  it('keeps allowGaps from a pipeline file that has another mistake', async () => {
    const files = {
      'environments/dev.yaml': 'target: local\ndatabases:\n  - binding: DB\n',
      'migrations/0001_init.sql': OK,
      'migrations/0003_later.sql': 'CREATE TABLE later (id INTEGER PRIMARY KEY);\n',
    };
    const allowed = await workspaceProblems({
      ...files,
      'pipeline/pipeline.yaml': `${PIPELINE}rollback:\n  database: snapshots\nmigrations:\n  allowGaps: true\n`,
    });
    expect(where(allowed)).toEqual(['pipeline/pipeline.yaml:5 E_CONFIG_INVALID_VALUE']);
    const notAllowed = await workspaceProblems({ ...files, 'pipeline/pipeline.yaml': `${PIPELINE}rollback:\n  database: snapshots\n` });
    expect(where(notAllowed).map((w) => w.split(' ')[1])).toEqual(['E_NUMBERING_GAP', 'E_CONFIG_INVALID_VALUE']);
  });

  it('reports the config problems alone when the migrations are fine', async () => {
    const problems = await workspaceProblems({
      'pipeline/pipeline.yaml': 'name: shop\nstages: &s\n  - environment: dev\n    again: *s\n',
      'environments/dev.yaml': 'target: local\ndatabases:\n  - binding: DB\n',
      'migrations/0001_init.sql': OK,
    });
    expect(where(problems)).toEqual(['pipeline/pipeline.yaml:4 E_CONFIG_YAML']);
  });
});

describe('loadWorkspace with a valid config', () => {
  it('returns the workspace with the migrations of each folder', async () => {
    const root = await makeProject({
      'pipeline/pipeline.yaml': PIPELINE,
      'environments/dev.yaml': 'target: local\ndatabases:\n  - binding: DB\n',
      'migrations/0001_init.sql': OK,
    });
    const ws = await loadWorkspace(root, {});
    expect([...ws.migrations.keys()]).toEqual(['migrations']);
    expect(ws.migrations.get('migrations')!.map((m) => m.name)).toEqual(['0001_init.sql']);
  });

  it('refuses a config that is valid when its migrations are not', async () => {
    const problems = await workspaceProblems({
      'pipeline/pipeline.yaml': PIPELINE,
      'environments/dev.yaml': 'target: local\ndatabases:\n  - binding: DB\n',
      'migrations/0001_attach.sql': ATTACH,
    });
    expect(where(problems)).toEqual(['migrations/0001_attach.sql:2 E_ATTACH']);
  });
});

describe('cloudflare databases settings', () => {
  const wrangler = JSON.stringify({ name: 'app', env: { dev: { d1_databases: [{ binding: 'DB', database_name: 'd', database_id: 'x', migrations_dir: 'migrations' }] } } });
  it('a transport for a binding the wrangler env does not have is refused, naming the bindings it has', async () => {
    const problems = await workspaceProblems({
      'pipeline/pipeline.yaml': PIPELINE,
      'wrangler.json': wrangler,
      'environments/dev.yaml': 'target: cloudflare\nwrangler:\n  env: dev\ndatabases:\n  - binding: DBB\n    transport: import\n',
      'migrations/0001_init.sql': OK,
    });
    expect(problems).toEqual([expect.objectContaining({ code: 'E_CONFIG_UNKNOWN_BINDING', file: 'environments/dev.yaml', hint: 'use one of: DB' })]);
  });

  it('the transport reaches the database (auto when not set)', async () => {
    for (const [extra, transport] of [['', 'auto'], ['databases:\n  - binding: DB\n    transport: query\n', 'query']] as const) {
      const root = await makeProject({ 'pipeline/pipeline.yaml': PIPELINE, 'wrangler.json': wrangler, 'environments/dev.yaml': `target: cloudflare\nwrangler:\n  env: dev\n${extra}`, 'migrations/0001_init.sql': OK });
      const ws = await loadWorkspace(root, {});
      expect(ws.databasesOf(ws.project.environments.get('dev')!)).toEqual([{ binding: 'DB', migrationsDir: 'migrations', ledgerTable: 'd1_migrations', transport }]);
    }
  });
});
