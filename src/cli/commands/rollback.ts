/**
 * `promote rollback --env <env> [--bookmark <id>]`: by hand what a failed
 * promotion does by itself, on local and cloudflare environments alike
 * (src/engine/manual-rollback.ts). Exit 4 when the environment is not healthy
 * afterwards.
 */
import { InvalidInputError, RollbackFailedError } from '../../errors.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { rollbackByHand } from '../../engine/manual-rollback.js';
import { openForRollback } from '../../engine/open-environment.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { newRunId } from '../../runs/run-id.js';
import { parseDuration } from '../durations.js';
import type { CommandContext } from '../command-context.js';
import { withProjectSecrets } from '../settings.js';
import { paint } from '../output.js';

export async function run({ root, env, settings: base, values, output }: CommandContext<'rollback'>): Promise<number> {
  if (!values.env) throw new InvalidInputError([], 'rollback needs --env <environment>');
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  const target = selectEnvironment(ws.project, String(values.env), '--env');
  const lockTtlMs = values['lock-ttl'] ? parseDuration(String(values['lock-ttl']), '--lock-ttl') : 60_000;
  const runId = newRunId();
  const handle = await openForRollback(ws, target, settings, runId);
  try {
    const report = await rollbackByHand(ws.project.root, handle, {
      runId,
      owner: settings.owner,
      lockTtlMs,
      ...(values.bookmark ? { bookmark: String(values.bookmark) } : {}),
      redact: settings.redact,
      ...(output.json ? {} : { onProgress: (line: string) => output.out(line) }),
    });
    if (output.json) output.out(JSON.stringify({ type: 'rollback', ...report }));
    if (!report.ok) {
      const failing = report.checks.filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason}`);
      throw new RollbackFailedError(
        `${target.name} is not healthy after the rollback: ${failing.join('; ')}`,
        `inspect ${target.name} (promote serve --env ${target.name}, promote status --env ${target.name}) and fix forward, or restore an older bookmark with --bookmark`,
      );
    }
    if (!output.json) output.out(paint(output, 'green', `${target.name}: rolled back and verified`));
    return 0;
  } finally {
    await handle.dispose();
  }
}
