/**
 * Reading an environment that another process holds (`promote serve`, a
 * running promotion): its workerd has the SQLite files open, and a second
 * workerd on the same files contends for their locks. A copy of the files
 * is read instead; the holder is never touched. The -shm index is left
 * behind on purpose: SQLite rebuilds it from the WAL, while a copy of a live
 * one could disagree with it.
 */
import { rmSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/** Where a local environment keeps its state (defined here, beside the one reader that copies it). */
export interface LocalEnvironmentPaths {
  /** Folder Miniflare persists into (state/, like wrangler's .wrangler/state/v3). */
  state: string;
  d1Persist: string;
}

export async function copyStateForReading(paths: LocalEnvironmentPaths): Promise<{ paths: LocalEnvironmentPaths; remove: () => void }> {
  const state = await mkdtemp(join(tmpdir(), 'promote-read-'));
  const remove = () => rmSync(state, { recursive: true, force: true });
  try {
    const d1Persist = join(state, 'd1');
    await cp(paths.d1Persist, d1Persist, { recursive: true, filter: (src) => !src.endsWith('-shm') });
    return { paths: { state, d1Persist }, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
