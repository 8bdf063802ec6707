/**
 * A stage's backup step on a real local environment: a backup this run already wrote (a
 * resumed run) is verified again, not trusted; one that does not restore to its header's
 * counts stops the step with the table named, and the database is left as it was.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { backupBeforeMigrating, defaultBackupFile, takeBackup } from '../../../src/engine/backups.js';
import { loadWorkspace } from '../../../src/engine/load-workspace.js';
import { openEnvironment } from '../../../src/engine/open-environment.js';
import { runInProcess } from '../../helpers/in-process.js';
import { BASE_FILES, cleanupProjects, makeProject, queryEnv } from '../../helpers/project.js';

afterAll(cleanupProjects);

describe('backupBeforeMigrating', () => {
  it('refuses a backup of this run that does not verify, naming the table; takes a new one once it is gone', { timeout: 120_000 }, async () => {
    const root = await makeProject(BASE_FILES);
    expect((await runInProcess(['migrate', '--env', 'dev', '--cwd', root])).code).toBe(0);
    await queryEnv(root, 'dev', "INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x')");
    const ws = await loadWorkspace(root, {});
    const { handle } = await openEnvironment(ws, ws.project.environments.get('dev')!, { redact: (s) => s, owner: 'test', cloudflare: {} as never });
    try {
      const runId = 'r-20260101T000000Z-abcdef';
      const file = defaultBackupFile(root, 'dev', runId, 'DB');
      await takeBackup(handle, handle.databases[0]!, runId, file);
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.split('\n').filter((l) => !(l.startsWith('INSERT INTO "users"') && l.includes("'b@x'"))).join('\n'));

      await expect(backupBeforeMigrating(handle, root, runId)).rejects.toThrow(/does not restore to what the database holds, so nothing was migrated: table users: 1 row\(s\) in the dump, 2 in the header/);
      const [users] = await handle.databases[0]!.conn.batch([{ sql: 'SELECT count(*) AS n FROM users' }]);
      expect(users!.results).toEqual([{ n: 2 }]);

      rmSync(file);
      expect(await backupBeforeMigrating(handle, root, runId)).toEqual([file]);
      expect(readFileSync(file, 'utf8')).toContain("'b@x'");
    } finally {
      await handle.dispose();
    }
  });
});

describe('backupBeforeMigrating with an export (the cloudflare way: export, then count)', () => {
  it('an application write between the export and the count is a mismatch; a second export that matches lets the stage go on', { timeout: 120_000 }, async () => {
    const { startD1Pool } = await import('../../helpers/miniflare-d1.js');
    const { dumpDatabase } = await import('../../../src/backup/dump.js');
    const { openScratchDatabase } = await import('../../../src/targets/local/scratch-engine.js');
    const root = await makeProject(BASE_FILES);
    const pool = await startD1Pool(1);
    const scratch = await openScratchDatabase(root);
    try {
      const conn = await pool.next();
      await conn.batch([{ sql: 'CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)' }, { sql: "INSERT INTO orders (item) VALUES ('a'), ('b')" }]);
      let exports = 0;
      let racing = 1;
      const handle = {
        env: { name: 'production' },
        databases: [{ binding: 'DB', migrationsDir: 'migrations', ledgerTable: 'd1_migrations', conn, databaseId: 'uuid-1', scratch: async () => scratch.db }],
        // What D1's export returns, then the application writes before promote counts.
        exportSql: async () => {
          exports++;
          const { sql } = await dumpDatabase(conn);
          if (racing-- > 0) await conn.batch([{ sql: "INSERT INTO orders (item) VALUES ('written meanwhile')" }]);
          return sql;
        },
      } as unknown as Parameters<typeof backupBeforeMigrating>[0];
      const runId = 'r-20260101T000000Z-race01';
      const [file] = await backupBeforeMigrating(handle, root, runId);
      expect(exports).toBe(2);
      const header = JSON.parse(readFileSync(file!, 'utf8').split('\n')[0]!.replace('-- promote-backup: ', '')) as { source: string; rows: Record<string, number> };
      expect(header).toMatchObject({ source: 'd1-export', rows: { orders: 3 } });

      // every export races: the stage stops, naming the table
      rmSync(file!);
      racing = 2;
      await expect(backupBeforeMigrating(handle, root, runId)).rejects.toThrow(/table orders: 4 row\(s\) in the dump, 5 in the header/);
    } finally {
      await scratch.dispose();
      await pool.dispose();
    }
  });
});
