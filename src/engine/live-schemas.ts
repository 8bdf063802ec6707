/**
 * Each database's live schema, fingerprinted: what `promote diff --env a --env b`
 * compares. Read-only: a local environment that was never created has an empty
 * schema and is not started.
 */
import type { LoadedEnvironment } from '../config/schema.js';
import { readFingerprint } from '../ledger/schema-read.js';
import { readDatabaseState } from '../ledger/ledger.js';
import type { SchemaFingerprint } from '../schema/fingerprint.js';
import { localEnvironmentPaths, localStateExists } from '../targets/local/local-environment.js';
import type { EngineSettings } from './engine-settings.js';
import type { Workspace } from './load-workspace.js';
import { openEnvironment } from './open-environment.js';

export interface LiveSchema {
  binding: string;
  fingerprint: SchemaFingerprint;
}

export async function readLiveSchemas(ws: Workspace, env: LoadedEnvironment, settings: EngineSettings): Promise<{ databases: LiveSchema[]; note?: string }> {
  const config = env.config;
  if (config.target === 'local' && !localStateExists(localEnvironmentPaths(ws.project.root, env.name, config))) {
    return { databases: ws.databasesOf(env).map((d) => ({ binding: d.binding, fingerprint: { objects: [] } })) };
  }
  const { handle } = await openEnvironment(ws, env, settings, true);
  try {
    const databases: LiveSchema[] = [];
    for (const d of handle.databases) {
      // Other tools' ledgers are bookkeeping too: they are left out like ours.
      const state = await readDatabaseState(d.conn, d.ledgerTable);
      databases.push({ binding: d.binding, fingerprint: await readFingerprint(d.conn, [d.ledgerTable, ...state.foreign.map((f) => f.table)]) });
    }
    return { databases, ...(handle.note ? { note: handle.note } : {}) };
  } finally {
    await handle.dispose();
  }
}

