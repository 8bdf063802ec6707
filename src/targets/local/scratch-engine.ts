/**
 * A scratch database on its own, for work that belongs to no environment
 * (`promote backup verify <file>` without --env): the local engine in a folder
 * of this process under .promote/scratch/, removed again when done.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScratchDatabase } from '../../d1/connection.js';
import { PROMOTE_DIR } from '../../private-files.js';
import { LocalEnvironmentRuntime } from './local-environment.js';

const BINDING = 'SCRATCH';

export async function openScratchDatabase(root: string): Promise<{ db: ScratchDatabase; dispose(): Promise<void> }> {
  const state = join(PROMOTE_DIR, 'scratch', `backup-verify-${process.pid}`);
  const runtime = await LocalEnvironmentRuntime.start(root, 'backup-verify', {
    target: 'local',
    state,
    databases: [{ binding: BINDING, migrations: 'migrations', migrations_table: 'd1_migrations' }],
    health: [],
  });
  return {
    db: runtime.scratch(BINDING),
    dispose: async () => {
      await runtime.dispose();
      await rm(join(root, state), { recursive: true, force: true });
    },
  };
}
