/**
 * Worker deployments over the REST API: what serves now (captured before a
 * deploy, the rollback target), and a deployment back to an earlier version.
 *
 * Which build serves is read from the serving VERSION's own annotations:
 * promote uploads every version with `--message "promote <run> build <hash>"`
 * and `--tag build-<hash prefix>`, and wrangler writes both into the version.
 * A deployment carries the message only when wrangler created it through the
 * deployments API (a Worker that already existed); the deployment a first
 * upload creates may have none, so deployments are never the source of truth.
 */
import type { CloudflareApi } from './cloudflare-api.js';

export interface DeploymentInfo {
  id: string;
  createdOn: string;
  /** The version with the larger share. */
  versionId: string;
  /** Every version of the deployment with its percentage (two during a gradual rollout). */
  versions: { id: string; percentage: number }[];
  message?: string;
}

interface ApiVersion {
  id: string;
  annotations?: Record<string, string>;
  metadata?: { created_on?: string };
}

interface ApiDeployment {
  id: string;
  created_on: string;
  versions: { version_id: string; percentage: number }[];
  annotations?: Record<string, string>;
}

export function promoteMessage(runId: string, codeHash: string): string {
  return `promote ${runId} build ${codeHash}`;
}

export function buildHashOf(message: string | undefined): string | undefined {
  return message ? /\bbuild (sha256:[0-9a-f]{64})/.exec(message)?.[1] : undefined;
}

/** The version tag for a build: short, as tags are meant to be (64 bits of the hash tell builds apart). */
export function buildTag(codeHash: string): string {
  return `build-${codeHash.replace(/^sha256:/, '').slice(0, 16)}`;
}

/**
 * The build a version was uploaded as: the full hash from its message, else
 * `expected` when its tag is that build's tag. undefined: not ours, or
 * another build whose full hash we cannot know.
 */
export function servedBuildOf(annotations: Record<string, string> | undefined, expected: string): string | undefined {
  const fromMessage = buildHashOf(annotations?.['workers/message']);
  if (fromMessage) return fromMessage;
  const tag = annotations?.['workers/tag'];
  if (tag === undefined) return undefined;
  return tag === buildTag(expected) ? expected : `tag:${tag}`;
}

export interface VersionInfo {
  id: string;
  annotations: Record<string, string>;
}

export class WorkersApi {
  constructor(
    private readonly api: CloudflareApi,
    readonly script: string,
  ) {}

  private get path(): string {
    return `${this.api.accountPath}/workers/scripts/${encodeURIComponent(this.script)}/deployments`;
  }

  /** Newest first. A Worker never deployed has none (404 is not an error here). */
  async deployments(): Promise<DeploymentInfo[]> {
    let result: { deployments?: ApiDeployment[] };
    try {
      result = await this.api.call<{ deployments?: ApiDeployment[] }>('GET', this.path, { safe: true });
    } catch (e) {
      if ((e as { status?: number }).status === 404) return [];
      throw e;
    }
    return (result?.deployments ?? [])
      .map((d) => ({
        id: d.id,
        createdOn: d.created_on,
        versionId: [...d.versions].sort((a, b) => b.percentage - a.percentage)[0]?.version_id ?? '',
        versions: d.versions.map((v) => ({ id: v.version_id, percentage: v.percentage })),
        ...(d.annotations?.['workers/message'] ? { message: d.annotations['workers/message'] } : {}),
      }))
      .sort((a, b) => b.createdOn.localeCompare(a.createdOn));
  }

  async current(): Promise<DeploymentInfo | undefined> {
    return (await this.deployments())[0];
  }

  /** One version with its annotations (`workers/message`, `workers/tag`, `workers/triggered_by`). */
  async version(versionId: string): Promise<VersionInfo> {
    const path = `${this.api.accountPath}/workers/scripts/${encodeURIComponent(this.script)}/versions/${encodeURIComponent(versionId)}`;
    const result = await this.api.call<{ id: string; annotations?: Record<string, unknown> }>('GET', path, { safe: true });
    const annotations = Object.fromEntries(Object.entries(result?.annotations ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    return { id: result?.id ?? versionId, annotations };
  }

  /** The version serving now (the largest share of the newest deployment) and its annotations. */
  async serving(): Promise<(VersionInfo & { deployment: DeploymentInfo }) | undefined> {
    const deployment = await this.current();
    if (!deployment?.versionId) return undefined;
    return { ...(await this.version(deployment.versionId)), deployment };
  }

  /** The version that served before the newest deployment of `versionId`. */
  async previousOf(versionId: string): Promise<string | undefined> {
    const list = await this.deployments();
    const i = list.findIndex((d) => d.versionId === versionId);
    return i >= 0 ? list.slice(i + 1).find((d) => d.versionId !== versionId)?.versionId : undefined;
  }

  /** The version that served before this run's first deployment. */
  async versionBefore(runId: string): Promise<string | undefined> {
    const list = await this.deployments();
    // A deployment without a message (a first upload's) is ours when its version says so.
    const messages = await Promise.all(list.map(async (d) => d.message ?? (d.versionId ? (await this.version(d.versionId)).annotations['workers/message'] : undefined)));
    const mine = list.map((d, i) => [d, i] as const).filter(([, i]) => messages[i]?.startsWith(`promote ${runId} `));
    if (mine.length === 0) return undefined;
    const oldest = mine.at(-1)![1];
    return list[oldest + 1]?.versionId;
  }

  /** The newest uploaded version whose message names this build (promote's versions upload). */
  async versionOfBuild(codeHash: string): Promise<string | undefined> {
    const result = await this.api.call<{ items?: ApiVersion[] }>('GET', `${this.api.accountPath}/workers/scripts/${encodeURIComponent(this.script)}/versions`, { safe: true });
    return (result?.items ?? [])
      .filter((v) => buildHashOf(v.annotations?.['workers/message']) === codeHash)
      .sort((a, b) => (b.metadata?.created_on ?? '').localeCompare(a.metadata?.created_on ?? ''))[0]?.id;
  }

  /** A new 100% deployment of an existing version (what `wrangler rollback` does). */
  async deploy(versionId: string, message: string): Promise<void> {
    await this.api.call('POST', this.path, {
      body: { strategy: 'percentage', versions: [{ version_id: versionId, percentage: 100 }], annotations: { 'workers/message': message } },
      safe: false,
    });
  }
}
