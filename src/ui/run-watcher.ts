/**
 * Notices every transition another process writes under .promote/runs/: fs.watch
 * for promptness, and a short poll of journal sizes because fs.watch may miss
 * events (network file systems, editors replacing files, a folder created after
 * the watch began). The poll looks at the newest runs only; an older run changes
 * only when resumed, which the watch reports. Only runs/ is watched: the
 * environments' database files beside it change thousands of times per promotion.
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { journalPath, listRuns, runDir, runsDir } from '../runs/run-store.js';

export interface RunWatcherOptions {
  pollMs?: number;
  /** How many of the newest runs the poll looks at. */
  pollRuns?: number;
}

export function watchRuns(root: string, onChange: (runId: string) => void, opts: RunWatcherOptions = {}): () => void {
  const sizes = new Map<string, string>();
  const pollRuns = opts.pollRuns ?? 50;
  const signature = (runId: string): string => {
    const parts: string[] = [];
    for (const file of [journalPath(root, runId), join(runDir(root, runId), 'run.json')]) {
      try {
        const st = statSync(file);
        parts.push(`${st.size}:${st.mtimeMs}`);
      } catch {
        parts.push('-');
      }
    }
    return parts.join('|');
  };
  const check = (runId: string): void => {
    const sig = signature(runId);
    if (sizes.get(runId) === sig) return;
    const known = sizes.has(runId);
    sizes.set(runId, sig);
    if (known || primed) onChange(runId);
  };
  let primed = false;
  const scan = (all: boolean): void => {
    const ids = listRuns(root);
    for (const id of all ? ids : ids.slice(0, pollRuns)) check(id);
  };
  scan(true);
  primed = true;

  let watcher: FSWatcher | undefined;
  const startWatch = (): void => {
    const dir = runsDir(root);
    if (watcher || !existsSync(dir)) return;
    try {
      watcher = watch(dir, { recursive: true }, (_event, file) => {
        const runId = typeof file === 'string' ? file.split(/[\\/]/)[0] : undefined;
        if (runId?.startsWith('r-')) check(runId);
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // No watch on this file system: the poll does the work.
    }
  };
  startWatch();
  const timer = setInterval(() => {
    startWatch();
    scan(false);
  }, opts.pollMs ?? 100);
  timer.unref();
  return () => {
    clearInterval(timer);
    watcher?.close();
  };
}
