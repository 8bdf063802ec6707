/**
 * `promote rollback --env <env> [--bookmark <id>]`: by hand what a failed
 * promotion does by itself. Database back to a bookmark (the newest one by
 * default), Worker back to the version before the current one, then verified.
 */
import { join } from 'node:path';
import { declaredSecretNames } from '../../config/credential-rules.js';
import { InvalidInputError, LockedError, RollbackFailedError } from '../../errors.js';
import { secretsFrom } from '../../notify/secrets.js';
import { loadWorkspace } from '../../project/load-workspace.js';
import { selectEnvironment } from '../../project/select-environment.js';
import { acquireLease, describeOwner, releaseLease } from '../../runs/lease.js';
import { newRunId } from '../../runs/run-id.js';
import { BookmarkStore } from '../../targets/local/bookmarks.js';
import { LocalEnvironmentRuntime, type ServedWorker } from '../../targets/local/local-environment.js';
import { environmentDir, servedWorkerOf } from '../../targets/local/local-handle.js';
import { WorkerVersionStore } from '../../targets/local/worker-versions.js';
import { runHealthChecks } from '../../verify/health-check.js';
import { parseDuration } from '../durations.js';
import type { CommandContext } from '../main.js';
import { paint } from '../output.js';

export async function run({ root, env, values, output }: CommandContext): Promise<number> {
  if (!values.env) throw new InvalidInputError([], 'rollback needs --env <environment>');
  const ws = await loadWorkspace(root, env);
  const target = selectEnvironment(ws.project, String(values.env), '--env');
  if (target.config.target !== 'local') throw new InvalidInputError([], `this version rolls back local environments only; ${target.name} is ${target.config.target}`);
  const config = target.config;
  const dir = environmentDir(ws.project.root, target.name);
  const bookmarks = new BookmarkStore(join(dir, 'bookmarks'), target.name);
  const bookmark = values.bookmark ? await bookmarks.get(String(values.bookmark)) : (await bookmarks.list()).at(-1);
  if (!bookmark && config.databases.length > 0) {
    throw new InvalidInputError([], `no bookmark recorded for ${target.name}: nothing to restore the database to (stages with bookmark: true take one before migrating)`);
  }
  const versions = new WorkerVersionStore(join(dir, 'workers'));
  const current = await versions.current();
  const runtime = await LocalEnvironmentRuntime.start(ws.project.root, target.name, config, { worker: await servedWorkerOf(versions, current) });
  const runId = newRunId();
  const lockDb = config.databases[0] ? runtime.database(config.databases[0].binding) : undefined;
  try {
    if (lockDb) {
      const ttl = values['lock-ttl'] ? parseDuration(String(values['lock-ttl']), '--lock-ttl') : 60_000;
      const lease = await acquireLease(lockDb, runId, describeOwner(), ttl);
      if (!lease.acquired) throw new LockedError(`${target.name} is locked by run ${lease.holder.runId} (${lease.holder.owner})`, 'wait for it to finish, then roll back');
    }
    const report: Record<string, unknown> = { type: 'rollback', environment: target.name, runId };
    if (bookmark) {
      const { restoredAt } = await bookmarks.restore(runtime, bookmark.id);
      report.bookmark = bookmark.id;
      report.lostWritesWindowMs = restoredAt - bookmark.takenAt;
      if (!output.json) output.out(`${target.name}: database restored to bookmark ${bookmark.id} (writes of the last ${((restoredAt - bookmark.takenAt) / 1000).toFixed(1)} s are gone)`);
    }
    const previous = current ? await versions.previousOf(current.id) : undefined;
    if (previous) {
      const version = await versions.rollbackTo(previous.id, { runId, message: 'manual rollback' });
      await runtime.serve((await servedWorkerOf(versions, version)) as ServedWorker);
      report.workerVersion = version.id;
      if (!output.json) output.out(`${target.name}: Worker back to version ${version.id}`);
    } else if (!output.json) {
      output.out(`${target.name}: no earlier Worker version; the Worker is unchanged`);
    }
    // Check URLs and reasons are printed below: hide secrets in them as a promotion does.
    const verify = await runHealthChecks(config.health, runtime.url.toString(), { redact: secretsFrom(env, declaredSecretNames(ws.project.environments.values())) });
    report.checks = verify.results;
    if (output.json) output.out(JSON.stringify({ ...report, ok: verify.ok }));
    if (!verify.ok) {
      throw new RollbackFailedError(
        `${target.name} is not healthy after the rollback: ${verify.results.filter((r) => !r.ok).map((r) => `${r.url}: ${r.reason}`).join('; ')}`,
        `inspect ${target.name} (promote serve --env ${target.name}) and fix forward, or restore an older bookmark with --bookmark`,
      );
    }
    if (!output.json) output.out(paint(output, 'green', `${target.name}: rolled back and verified`));
    return 0;
  } finally {
    if (lockDb) await releaseLease(lockDb, runId).catch(() => undefined);
    await runtime.dispose();
  }
}
