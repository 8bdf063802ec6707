/** Which database of which environment each seed folder feeds, read from real folders on disk. */
import { afterAll, describe, expect, it } from 'vitest';
import type { EnvironmentDatabase } from '../../../src/config/environment-databases.js';
import type { LoadedEnvironment } from '../../../src/config/schema.js';
import { checksumOf, loadSeedTree, planSeeds } from '../../../src/migrations/index.js';
import { layOutSeeds } from '../../../src/engine/seed-layout.js';
import { cleanupProjects, makeProject } from '../../helpers/project.js';

afterAll(cleanupProjects);

const env = (name: string): LoadedEnvironment => ({ name, file: `environments/${name}.yaml`, config: { target: 'local', databases: [], health: [] } }) as unknown as LoadedEnvironment;
const db = (binding: string): EnvironmentDatabase => ({ binding, migrationsDir: 'migrations', ledgerTable: 'd1_migrations' });
/** dev has one database, production two. */
const ENVS = [
  { env: env('dev'), databases: [db('DB')] },
  { env: env('production'), databases: [db('DB'), db('AUX')] },
];

async function layout(files: Record<string, string>) {
  const root = await makeProject(files);
  const tree = await loadSeedTree(root);
  const laid = layOutSeeds(tree, ENVS);
  const names = (e: string, b: string) => laid.layout.get(e)?.get(b)?.map((s) => s.name);
  return { tree, problems: [...(tree?.problems ?? []), ...laid.problems], names };
}

describe('seed layout', () => {
  it('without a seeds/ folder every database gets none', async () => {
    const { tree, problems, names } = await layout({ 'migrations/0001_a.sql': 'SELECT 1;\n' });
    expect(tree).toBeNull();
    expect(problems).toEqual([]);
    expect(names('dev', 'DB')).toEqual([]);
  });

  it('folders per database: seeds/all/<BINDING>/ feeds every environment with that binding, all/ before the environment, each by number', async () => {
    const { problems, names } = await layout({
      'seeds/all/DB/0002_b.sql': 'SELECT 2;\n',
      'seeds/all/DB/0001_a.sql': 'SELECT 1;\n',
      'seeds/all/AUX/0001_aux.sql': 'SELECT 1;\n',
      'seeds/dev/0001_dev.sql': 'SELECT 1;\n',
      'seeds/production/AUX/0001_p.sql': 'SELECT 1;\n',
    });
    expect(problems).toEqual([]);
    expect(names('dev', 'DB')).toEqual(['all/DB/0001_a.sql', 'all/DB/0002_b.sql', 'dev/0001_dev.sql']);
    expect(names('production', 'DB')).toEqual(['all/DB/0001_a.sql', 'all/DB/0002_b.sql']);
    expect(names('production', 'AUX')).toEqual(['all/AUX/0001_aux.sql', 'production/AUX/0001_p.sql']);
  });

  it('files at the top of a folder an environment with several databases reads are ambiguous, naming the bindings', async () => {
    const { problems, names } = await layout({ 'seeds/all/0001_a.sql': 'SELECT 1;\n', 'seeds/production/0001_p.sql': 'SELECT 1;\n' });
    expect(problems.map((p) => [p.code, p.file])).toEqual([
      ['E_SEED_AMBIGUOUS', 'seeds/all/0001_a.sql'],
      ['E_SEED_AMBIGUOUS', 'seeds/production/0001_p.sql'],
    ]);
    expect(problems[0]!.hint).toBe('move the files into a folder per database: seeds/all/DB/ or seeds/all/AUX/');
    // dev, with one database, still knows its seeds: the problem stops the run anyway.
    expect(names('dev', 'DB')).toEqual(['all/0001_a.sql']);
  });

  it('files and folders per database in one folder, unknown bindings and environments are refused', async () => {
    const { problems } = await layout({
      'seeds/dev/0001_a.sql': 'SELECT 1;\n',
      'seeds/dev/DB/0001_b.sql': 'SELECT 1;\n',
      'seeds/production/CACHE/0001_c.sql': 'SELECT 1;\n',
      'seeds/all/KV/0001_d.sql': 'SELECT 1;\n',
      'seeds/stage/0001_e.sql': 'SELECT 1;\n',
    });
    expect(problems.map((p) => [p.code, p.file]).sort()).toEqual([
      ['E_SEED_LAYOUT', 'seeds/dev/0001_a.sql'],
      ['E_SEED_UNKNOWN_BINDING', 'seeds/all/KV'],
      ['E_SEED_UNKNOWN_BINDING', 'seeds/production/CACHE'],
      ['E_SEED_UNKNOWN_ENV', 'seeds/stage'],
    ]);
    expect(problems.find((p) => p.code === 'E_SEED_UNKNOWN_BINDING' && p.file === 'seeds/production/CACHE')!.hint).toContain('seeds/production/DB/, seeds/production/AUX/');
  });

  it('two folders may hold files of the same name: the recorded names differ', async () => {
    const { names } = await layout({ 'seeds/all/DB/0001_x.sql': 'SELECT 1;\n', 'seeds/dev/0001_x.sql': 'SELECT 2;\n' });
    expect(names('dev', 'DB')).toEqual(['all/DB/0001_x.sql', 'dev/0001_x.sql']);
  });
});

describe('planSeeds', () => {
  it('applied by name, pending in order, a changed file reported and not pending again', async () => {
    const root = await makeProject({ 'seeds/all/0001_a.sql': 'SELECT 1;\n', 'seeds/all/0002_b.sql': 'SELECT 2;\n' });
    const seeds = (await loadSeedTree(root))!.folders.flatMap((f) => f.seeds);
    const plan = planSeeds(seeds, [
      { id: 1, name: 'all/0001_a.sql', applied_at: 't', checksum: checksumOf('SELECT 0;\n'), run_id: 'r' },
      { id: 2, name: 'all/0009_gone.sql', applied_at: 't', checksum: null, run_id: null },
    ]);
    expect(plan.pending.map((s) => s.name)).toEqual(['all/0002_b.sql']);
    expect(plan.applied.map((a) => [a.name, a.changed, a.fileMissing])).toEqual([
      ['all/0001_a.sql', true, false],
      ['all/0009_gone.sql', false, true],
    ]);
  });
});
