/**
 * `promote rollback --env <env> [--bookmark <id>]`: by hand what a failed
 * promotion does by itself, on local and cloudflare environments alike
 * (src/engine/manual-rollback.ts).
 * `promote rollback --env <env> --to <NNNN>`: undoes the migrations applied
 * above NNNN with their rollback files (src/engine/rollback-to-version.ts).
 * Either way, exit 4 when the environment is not healthy afterwards.
 */
import { InvalidInputError, RollbackFailedError } from '../../errors.js';
import type { CheckResult } from '../../events/run-events.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { rollbackByHand } from '../../engine/manual-rollback.js';
import { openForRollback } from '../../engine/open-environment.js';
import { rollbackToVersion } from '../../engine/rollback-to-version.js';
import { selectEnvironment } from '../../engine/select-environment.js';
import { fleetsLeftAlone } from '../../engine/fleet-status.js';
import { newRunId } from '../../runs/run-id.js';
import { parseDuration } from '../durations.js';
import type { CommandContext } from '../command-context.js';
import { withProjectSecrets } from '../settings.js';
import { paint, printProblems } from '../output.js';

export async function run({ root, env, settings: base, values, output }: CommandContext<'rollback'>): Promise<number> {
  if (!values.env) throw new InvalidInputError([], 'rollback needs --env <environment>');
  if (values.to !== undefined && values.bookmark !== undefined) {
    throw new InvalidInputError([], 'rollback takes --to <NNNN> (undo migrations with their rollback files) or --bookmark <id> (restore the database), not both; nothing was changed');
  }
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  const target = selectEnvironment(ws.project, String(values.env), '--env');
  if (values.to !== undefined) printProblems(output, fleetsLeftAlone(ws, target, 'rollback --to'));
  const lockTtlMs = values['lock-ttl'] ? parseDuration(String(values['lock-ttl']), '--lock-ttl') : 60_000;
  const runId = newRunId();
  const handle = await openForRollback(ws, target, settings, runId);
  try {
    if (values.to !== undefined) {
      const report = await rollbackToVersion(ws, handle, String(values.to), {
        runId,
        owner: settings.owner,
        lockTtlMs,
        redact: settings.redact,
        onUndone: (binding, chunk) => {
          if (output.json) output.out(JSON.stringify({ type: 'undone', environment: target.name, binding, migrations: chunk.map((m) => m.name) }));
          else for (const m of chunk) output.out(`  ${paint(output, 'green', '↩')} ${target.name}/${binding} ${m.name} undone`);
        },
      });
      if (output.json) output.out(JSON.stringify({ type: 'rollback', ...report }));
      if (!report.ok) throw unhealthy(target.name, report.checks, `fix forward (promote migrate --env ${target.name}), or restore a bookmark with promote rollback --env ${target.name} --bookmark <id>`);
      if (!output.json) {
        const n = report.databases.reduce((k, d) => k + d.undone.length, 0);
        const at = report.databases.map((d) => `${d.binding} at ${d.kept.at(-1) ?? 'no migration'}`).join(', ');
        output.out(paint(output, 'green', `${target.name}: ${n === 0 ? 'nothing to undo' : `${n} migration(s) undone`} (${at}), verified`));
      }
      return 0;
    }
    const report = await rollbackByHand(ws.project.root, handle, {
      runId,
      owner: settings.owner,
      lockTtlMs,
      ...(values.bookmark ? { bookmark: String(values.bookmark) } : {}),
      redact: settings.redact,
      ...(output.json ? {} : { onProgress: (line: string) => output.out(line) }),
    });
    if (output.json) output.out(JSON.stringify({ type: 'rollback', ...report }));
    if (!report.ok) throw unhealthy(target.name, report.checks, `inspect ${target.name} (promote serve --env ${target.name}, promote status --env ${target.name}) and fix forward, or restore an older bookmark with --bookmark`);
    if (!output.json) output.out(paint(output, 'green', `${target.name}: rolled back and verified`));
    return 0;
  } finally {
    await handle.dispose();
  }
}

function unhealthy(environment: string, checks: readonly CheckResult[], hint: string): RollbackFailedError {
  const failing = checks.filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason}`);
  return new RollbackFailedError(`${environment} is not healthy after the rollback: ${failing.join('; ')}`, hint);
}
