/**
 * One local environment's Worker versions and deployments, kept on disk the way
 * Cloudflare keeps them: a version is an immutable upload (code + config), a
 * deployment says which version serves from when. deployments.json lists them
 * oldest first, as `wrangler deployments list` does; the last one serves.
 *
 *   <dir>/deployments.json
 *   <dir>/versions/<id>/version.json
 *   <dir>/versions/<id>/worker.js
 *
 * A deploy writes the version's files before the deployment that points at them,
 * and every write is atomic, so a crash leaves at worst an unreferenced version.
 * Deploy and rollback check what already serves first, so a restored run can
 * repeat them safely.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RunError } from '../../errors.js';
import { readFileIfExists, writeFileAtomic, writeJsonAtomic } from '../../atomic-write.js';
import type { WorkerBuild } from './worker-build.js';

export interface WorkerVersion {
  /** A UUID v4, like Cloudflare's version ids. */
  id: string;
  codeHash: string;
  configHash: string;
  main: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  createdAt: string;
  runId: string;
}

export interface Deployment {
  id: string;
  /** The version with the larger share (the only one without `split`). */
  versionId: string;
  /** A gradual deployment: two versions and their percentages, the new version first. */
  split?: { versionId: string; percentage: number }[];
  createdAt: string;
  runId: string;
  message: string;
}

export interface DeployResult {
  version: WorkerVersion;
  /** What served before; for an unchanged deploy, what served before the current version. */
  previous?: WorkerVersion;
  unchanged: boolean;
}

export interface DeploymentMeta {
  runId: string;
  message?: string;
}

const VERSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class WorkerVersionStore {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async deployments(): Promise<Deployment[]> {
    const path = join(this.dir, 'deployments.json');
    const text = await readFileIfExists(path);
    if (text === undefined) return [];
    try {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) throw new Error('expected a JSON array');
      return parsed as Deployment[];
    } catch (error) {
      throw new RunError(
        `cannot read ${path}: ${(error as Error).message}`,
        'the local Worker deployment history is damaged; delete the file to start the history again',
        { cause: error },
      );
    }
  }

  async current(): Promise<WorkerVersion | undefined> {
    const last = (await this.deployments()).at(-1);
    return last && this.get(last.versionId);
  }

  /** The version that served before the (latest) deployment that made versionId current. */
  async previousOf(versionId: string): Promise<WorkerVersion | undefined> {
    const deployments = await this.deployments();
    const index = deployments.findLastIndex((d) => d.versionId === versionId);
    // A rollout's steps where this version already had the larger share are the same version, not an earlier one.
    const before = deployments.slice(0, Math.max(0, index)).findLast((d) => d.versionId !== versionId);
    return before && this.get(before.versionId);
  }

  async get(versionId: string): Promise<WorkerVersion> {
    const text = VERSION_ID.test(versionId) ? await readFileIfExists(this.versionFile(versionId, 'version.json')) : undefined;
    if (text === undefined) {
      throw new RunError(
        `no local Worker version ${versionId} in ${this.dir}`,
        'pick a version id from the deployment history (deployments.json), or deploy the Worker again',
      );
    }
    return JSON.parse(text) as WorkerVersion;
  }

  async code(versionId: string): Promise<string> {
    await this.get(versionId);
    const code = await readFileIfExists(this.versionFile(versionId, 'worker.js'));
    if (code === undefined) {
      throw new RunError(`the local Worker version ${versionId} has no code`, 'deploy the Worker again to record a complete version');
    }
    return code;
  }

  async deploy(build: WorkerBuild, meta: DeploymentMeta): Promise<DeployResult> {
    const current = await this.current();
    if (current && current.codeHash === build.codeHash && current.configHash === build.configHash) {
      return withPrevious({ version: current, unchanged: true }, await this.previousOf(current.id));
    }
    const version = await this.writeVersion(build, meta);
    await this.appendDeployment(version.id, meta, 'Deploy');
    return withPrevious({ version, unchanged: false }, current);
  }

  /** What serves now, with percentages (empty: nothing deployed yet). */
  async currentSplit(): Promise<{ versionId: string; percentage: number }[]> {
    const last = (await this.deployments()).at(-1);
    if (!last) return [];
    return last.split ?? [{ versionId: last.versionId, percentage: 100 }];
  }

  /** Records this build as a version without deploying it; a version of the same build already recorded is reused. */
  async upload(build: WorkerBuild, meta: DeploymentMeta): Promise<WorkerVersion> {
    const ids = await readdir(join(this.dir, 'versions')).catch(() => [] as string[]);
    const known = await Promise.all(ids.filter((id) => VERSION_ID.test(id)).map((id) => this.get(id).catch(() => undefined)));
    const same = known
      .filter((v): v is WorkerVersion => v !== undefined && v.codeHash === build.codeHash && v.configHash === build.configHash)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    return same ?? this.writeVersion(build, meta);
  }

  /** newId at `percentage` beside oldId (at 100, or without oldId, newId alone); nothing is written when that already serves. */
  async deploySplit(newId: string, oldId: string | undefined, percentage: number, meta: DeploymentMeta): Promise<void> {
    await this.get(newId);
    if (oldId) await this.get(oldId);
    const split = oldId && percentage < 100 ? [{ versionId: newId, percentage }, { versionId: oldId, percentage: 100 - percentage }] : undefined;
    const wanted = split ?? [{ versionId: newId, percentage: 100 }];
    if (JSON.stringify(await this.currentSplit()) === JSON.stringify(wanted)) return;
    const major = split && percentage <= 50 ? oldId! : newId;
    await this.appendDeployment(major, meta, split ? `Deploy ${percentage}%` : 'Deploy', split);
  }

  async rollbackTo(versionId: string, meta: DeploymentMeta): Promise<WorkerVersion> {
    const target = await this.get(versionId);
    const split = await this.currentSplit();
    // A split whose larger share is the target still serves the other version: it is not a rollback yet.
    if (split.length !== 1 || split[0]!.versionId !== target.id) await this.appendDeployment(target.id, meta, 'Rollback');
    return target;
  }

  private async writeVersion(build: WorkerBuild, meta: DeploymentMeta): Promise<WorkerVersion> {
    const version: WorkerVersion = {
      id: randomUUID(),
      codeHash: build.codeHash,
      configHash: build.configHash,
      main: build.main,
      compatibilityDate: build.compatibilityDate,
      compatibilityFlags: [...build.compatibilityFlags],
      vars: { ...build.vars },
      createdAt: this.now().toISOString(),
      runId: meta.runId,
    };
    // Code before metadata: get() only sees a version once version.json exists.
    await writeFileAtomic(this.versionFile(version.id, 'worker.js'), build.code);
    await writeJsonAtomic(this.versionFile(version.id, 'version.json'), version);
    return version;
  }

  private async appendDeployment(versionId: string, meta: DeploymentMeta, defaultMessage: string, split?: Deployment['split']): Promise<void> {
    const deployment: Deployment = {
      id: randomUUID(),
      versionId,
      ...(split ? { split } : {}),
      createdAt: this.now().toISOString(),
      runId: meta.runId,
      message: meta.message ?? defaultMessage,
    };
    await writeJsonAtomic(join(this.dir, 'deployments.json'), [...(await this.deployments()), deployment]);
  }

  private versionFile(versionId: string, name: string): string {
    return join(this.dir, 'versions', versionId, name);
  }
}

function withPrevious(result: DeployResult, previous: WorkerVersion | undefined): DeployResult {
  return previous ? { ...result, previous } : result;
}
