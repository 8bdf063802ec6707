/**
 * Parsed runs kept between page loads. A journal only grows, and a finished run's
 * files never change again, so a run is read and told again only when its journal's
 * or run.json's size or time changed; 200 runs then cost 400 stat calls, not
 * 30 000 JSON lines. Running runs are always told again (their duration is "so far").
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { journalPath, listRuns, runDir } from '../runs/run-store.js';
import { readRunFiles } from './read-runs.js';
import { buildRunView, type RunView } from './run-model.js';

export class RunViewCache {
  private readonly known = new Map<string, { signature: string; view: RunView }>();

  constructor(private readonly root: string) {}

  /** Newest first, at most `limit`. */
  views(limit: number, now: number = Date.now()): RunView[] {
    const ids = listRuns(this.root).slice(0, limit);
    const keep = new Set(ids);
    for (const id of this.known.keys()) if (!keep.has(id)) this.known.delete(id);
    return ids.map((id) => this.view(id, now));
  }

  view(id: string, now: number = Date.now()): RunView {
    const signature = this.signature(id);
    const hit = this.known.get(id);
    if (hit && hit.signature === signature && hit.view.result !== 'running') return hit.view;
    const view = buildRunView(readRunFiles(this.root, id), now);
    this.known.set(id, { signature, view });
    return view;
  }

  private signature(id: string): string {
    return [journalPath(this.root, id), join(runDir(this.root, id), 'run.json')]
      .map((file) => {
        try {
          const st = statSync(file);
          return `${st.size}:${st.mtimeMs}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  }
}
