import { InvalidInputError } from '../../errors.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { latestUnfinished, listRuns, loadRun } from '../../runs/run-store.js';
import type { CommandContext } from '../command-context.js';
import { startPromotion } from './promote.js';

export async function run(ctx: CommandContext<'resume'>): Promise<number> {
  const ws = await loadWorkspace(ctx.root, ctx.env);
  const record = ctx.values.run ? loadRun(ws.project.root, String(ctx.values.run)) : latestUnfinished(ws.project.root);
  if (!record) {
    const known = listRuns(ws.project.root).slice(0, 5);
    throw new InvalidInputError(
      [],
      ctx.values.run
        ? `no run ${String(ctx.values.run)} under .promote/runs${known.length ? ` (recent: ${known.join(', ')})` : ''}`
        : 'no unfinished run to resume: every recorded run already finished (start a new one with promote --to <env>)',
    );
  }
  if (record.status === 'finished') {
    throw new InvalidInputError([], `run ${record.runId} already finished (exit ${record.exitCode ?? '?'}); start a new one with promote --to ${record.to}`);
  }
  return startPromotion(ctx, ws, { to: record.to, runId: record.runId, resume: record });
}
