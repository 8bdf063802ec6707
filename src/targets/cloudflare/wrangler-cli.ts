/**
 * The one adapter to the wrangler binary (zx). Arguments go only through zx
 * templates (quoted, never a built command string); the token goes only
 * through the child's environment, never the command line, and no command is
 * echoed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunError } from '../../errors.js';
import type { CloudflareCredentials } from './cloudflare-api.js';

/** The project's own wrangler first (the version its team pinned), else ours. */
export function findWrangler(root: string): string {
  const local = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  if (existsSync(local)) return local;
  try {
    return createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
  } catch {
    throw new RunError('target cloudflare deploys with wrangler, and none is installed', 'npm install --save-dev wrangler@4 in your project');
  }
}

export interface DeployRecord {
  versionId: string;
}

export class WranglerCli {
  constructor(
    private readonly root: string,
    private readonly credentials: CloudflareCredentials,
    private readonly config: string | undefined,
    private readonly redact: (s: string) => string = (s) => s,
    /** The user's environment (PATH, HOME, proxies) that a wrangler child inherits. */
    private readonly childEnv: Readonly<Record<string, string | undefined>> = {},
  ) {}

  private env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...this.childEnv,
      CLOUDFLARE_API_TOKEN: this.credentials.token,
      CLOUDFLARE_ACCOUNT_ID: this.credentials.accountId,
      CLOUDFLARE_API_BASE_URL: this.credentials.baseUrl,
      WRANGLER_SEND_METRICS: 'false',
      CI: 'true',
      NO_COLOR: '1',
      ...extra,
    };
  }

  private async run(args: string[], extraEnv: Record<string, string> = {}, signal?: AbortSignal): Promise<string> {
    const { $ } = await import('zx');
    const bin = findWrangler(this.root);
    const configArgs = this.config ? ['--config', this.config] : [];
    const out = await $({ cwd: this.root, env: this.env(extraEnv), quiet: true, nothrow: true, verbose: false, ...(signal ? { signal } : {}) })`${process.execPath} ${bin} ${args} ${configArgs}`;
    if (out.exitCode !== 0) {
      const tail = this.redact(`${out.stderr}\n${out.stdout}`).trim().split('\n').slice(-12).join('\n');
      throw new RunError(`wrangler ${args[0]} failed (exit ${out.exitCode}):\n${tail}`, 'see wrangler\'s output above; fix it and run again (promote resumes where it stopped)');
    }
    return out.stdout;
  }

  /**
   * `wrangler deploy --env E`: the version id comes from the ND-JSON records
   * wrangler appends to WRANGLER_OUTPUT_FILE_PATH, with its printed
   * "Current Version ID" as a fallback.
   */
  async deploy(wranglerEnv: string, annotations: { message: string; tag: string }, signal?: AbortSignal): Promise<DeployRecord> {
    const dir = await mkdtemp(join(tmpdir(), 'promote-wrangler-'));
    const file = join(dir, 'output.ndjson');
    try {
      // Both land in the uploaded version's annotations, which is where promote reads what serves.
      const stdout = await this.run(['deploy', '--env', wranglerEnv, '--message', annotations.message, '--tag', annotations.tag], { WRANGLER_OUTPUT_FILE_PATH: file }, signal);
      const records = existsSync(file)
        ? (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type?: string; version_id?: string })
        : [];
      const versionId = records.reverse().find((r) => r.type === 'deploy' && r.version_id)?.version_id ?? /Current Version ID: ([0-9a-f-]{36})/.exec(stdout)?.[1];
      if (!versionId) throw new RunError('wrangler deploy succeeded but reported no version id', 'upgrade wrangler to 4.x');
      return { versionId };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * `wrangler versions upload --env E --tag T --message M`: a new version that serves nothing
   * yet; its id comes from the `version-upload` output record.
   */
  async versionsUpload(wranglerEnv: string, tag: string, message: string, signal?: AbortSignal): Promise<DeployRecord> {
    return this.withOutputFile(async (file) => {
      const stdout = await this.run(['versions', 'upload', '--env', wranglerEnv, '--tag', tag, '--message', message], { WRANGLER_OUTPUT_FILE_PATH: file }, signal);
      const versionId = (await outputRecords(file)).reverse().find((r) => r.type === 'version-upload' && r.version_id)?.version_id ?? /Worker Version ID: ([0-9a-f-]{36})/.exec(stdout)?.[1];
      if (!versionId) throw new RunError('wrangler versions upload succeeded but reported no version id', 'upgrade wrangler to 4.x');
      return { versionId };
    });
  }

  /** `wrangler versions deploy <id>@<pct> [<id>@<pct>] --message M -y`: a gradual deployment. */
  async versionsDeploy(wranglerEnv: string, versions: { id: string; percentage: number }[], message: string, signal?: AbortSignal): Promise<void> {
    await this.run(['versions', 'deploy', ...versions.map((v) => `${v.id}@${v.percentage}`), '--env', wranglerEnv, '--message', message, '--yes'], {}, signal);
  }

  private async withOutputFile<T>(fn: (file: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'promote-wrangler-'));
    try {
      return await fn(join(dir, 'output.ndjson'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** `wrangler rollback <version-id> -m ... -y`. */
  async rollback(wranglerEnv: string, versionId: string, message: string, signal?: AbortSignal): Promise<void> {
    await this.run(['rollback', versionId, '--env', wranglerEnv, '--message', message, '--yes'], {}, signal);
  }
}

async function outputRecords(file: string): Promise<{ type?: string; version_id?: string }[]> {
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type?: string; version_id?: string });
}
