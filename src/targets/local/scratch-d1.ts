/**
 * A scratch D1 database that belongs to no environment: a Miniflare of its
 * own running only the admin worker, its one database in memory (nothing
 * persisted, nothing left on disk). For work on the migration files alone,
 * such as replaying them to draft a rollback, where no environment need exist.
 */
import type { ScratchDatabase } from '../../d1/connection.js';
import { ADMIN_WORKER_SOURCE } from './admin-worker.js';
import { ADMIN_COMPATIBILITY_DATE, LocalD1Connection } from './local-environment.js';

export interface StandaloneScratch {
  database: ScratchDatabase;
  dispose(): Promise<void>;
}

const BINDING = 'SCRATCH';

export async function startStandaloneScratch(label = 'scratch'): Promise<StandaloneScratch> {
  const { Miniflare, Log, LogLevel } = await import('miniflare');
  const mf = new Miniflare({
    log: new Log(LogLevel.WARN),
    host: '127.0.0.1',
    port: 0,
    cf: false,
    workers: [
      {
        name: 'promote-admin',
        modules: true,
        script: ADMIN_WORKER_SOURCE,
        compatibilityDate: ADMIN_COMPATIBILITY_DATE,
        // S_: the admin worker's scratch prefix, the only one reset() accepts.
        d1Databases: { [`S_${BINDING}`]: 'promote-standalone-scratch' },
        routes: ['promote.admin/*'],
      },
    ],
  });
  try {
    await mf.ready;
  } catch (e) {
    await mf.dispose().catch(() => undefined);
    throw e;
  }
  return { database: new LocalD1Connection(mf, label, BINDING, true), dispose: () => mf.dispose() };
}
