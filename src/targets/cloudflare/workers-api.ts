/**
 * Worker deployments over the REST API: what serves now (captured before a
 * deploy, the rollback target), and a deployment back to an earlier version.
 * promote marks its deployments with a message carrying the run id and the
 * build hash, which is how the staging-first gate knows what serves.
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

  /** The version that served before the newest deployment of `versionId`. */
  async previousOf(versionId: string): Promise<string | undefined> {
    const list = await this.deployments();
    const i = list.findIndex((d) => d.versionId === versionId);
    return i >= 0 ? list.slice(i + 1).find((d) => d.versionId !== versionId)?.versionId : undefined;
  }

  /** The version that served before this run's first deployment. */
  async versionBefore(runId: string): Promise<string | undefined> {
    const list = await this.deployments();
    const mine = list.map((d, i) => [d, i] as const).filter(([d]) => d.message?.startsWith(`promote ${runId} `));
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
