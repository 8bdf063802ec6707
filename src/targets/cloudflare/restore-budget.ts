/**
 * D1 allows at most 10 Time Travel restores per 10 minutes per database. The
 * restores promote made are counted per database id in
 * .promote/time-travel-restores.json, so a run (or `promote rollback`) that
 * would exceed the limit says so, with the time the next one is possible,
 * before it restores anything, instead of failing halfway through a rollback.
 * Restores made by other tools are not seen here: D1's own 429 still applies.
 */
import { writeFileAtomic } from '../../atomic-write.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunError } from '../../errors.js';

export const RESTORE_LIMIT = { restores: 10, windowMs: 10 * 60_000 };

type RestoreLog = Record<string, number[]>;

export class RestoreBudget {
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
    private readonly limit = RESTORE_LIMIT,
  ) {}

  static inProject(root: string, now?: () => number): RestoreBudget {
    return new RestoreBudget(join(root, '.promote', 'time-travel-restores.json'), now);
  }

  private async read(): Promise<RestoreLog> {
    if (!existsSync(this.file)) return {};
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as RestoreLog) : {};
    } catch {
      return {};
    }
  }

  /** Throws, before any restore, when one of these databases has used up its restores for the window. */
  async check(databases: readonly { id: string; label: string }[]): Promise<void> {
    const log = await this.read();
    const t = this.now();
    for (const d of databases) {
      const recent = (log[d.id] ?? []).filter((at) => at > t - this.limit.windowMs).sort((a, b) => a - b);
      if (recent.length < this.limit.restores) continue;
      const nextAt = recent[recent.length - this.limit.restores]! + this.limit.windowMs;
      throw new RunError(
        `Time Travel allows ${this.limit.restores} restores per ${this.limit.windowMs / 60_000} minutes per database, and ${d.label} was restored ${recent.length} times since ${new Date(recent[0]!).toISOString()}: the next restore is possible at ${new Date(nextAt).toISOString()} (in ${Math.ceil((nextAt - t) / 1000)} s); nothing was restored`,
        'wait until then and run the rollback again (promote rollback --env <name> --bookmark <id>)',
      );
    }
  }

  /** Records one restore. Records run one at a time: a fleet's tenants restore side by side, and each rewrites the file. */
  record(databaseId: string): Promise<void> {
    const write = async () => {
      const log = await this.read();
      const t = this.now();
      log[databaseId] = [...(log[databaseId] ?? []).filter((at) => at > t - this.limit.windowMs), t];
      await writeFileAtomic(this.file, `${JSON.stringify(log)}\n`);
    };
    const run = this.writing.then(write, write);
    this.writing = run.catch(() => undefined);
    return run;
  }
}
