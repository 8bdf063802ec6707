/**
 * A GitHub Deployment per stage, so the repository's Environments page shows what
 * promote did: in_progress when a stage starts, then success, or failure (and
 * inactive once a rollback restored the previous version). A job with
 * `environment:` makes GitHub create its own deployment for that name, so ours
 * carry a prefix (default "promote/") unless told otherwise.
 */
import type { RunEvent } from '../../events/run-events.js';
import { describeFailure, describeStageResult, oneLine } from '../describe.js';
import { redactEvent } from '../redact.js';
import { createSendQueue, DeliveryError } from '../send-queue.js';
import type { NotifierSink } from '../notifier-sink.js';
import { GitHubApiError, type DeploymentState, type GitHubApi, type RepoRef } from './github-api.js';

export interface DeploymentsSinkOptions {
  api: GitHubApi;
  repository: RepoRef;
  /** The commit deployed: GITHUB_SHA. */
  ref: string;
  /** Prepended to the stage name; '' when no job of the workflow uses `environment:` for it. Default "promote/". */
  environmentPrefix?: string;
  /** Stages GitHub should treat as production. Default: the last stage of the run. */
  productionEnvironments?: readonly string[];
  /** Stages that may disappear (previews). Default none. */
  transientEnvironments?: readonly string[];
  /** The "View deployment" link per stage. */
  environmentUrl?: (stage: string) => string | undefined;
  /** The CI run's log. */
  logUrl?: string;
  redact: (text: string) => string;
  onWarning: (message: string) => void;
  /** Time budget per API call, retries included. Default 10 s. */
  timeoutMs?: number;
  closeDeadlineMs?: number;
  retryDelayMs?: number;
}

interface Tracked {
  id?: number;
  states: DeploymentState[];
}

const DESCRIPTION_LIMIT = 140;
const FINAL: readonly DeploymentState[] = ['success', 'failure', 'error', 'inactive'];

export function createDeploymentsSink(options: DeploymentsSinkOptions): NotifierSink {
  const { api, repository, redact } = options;
  const prefix = options.environmentPrefix ?? 'promote/';
  const warn = (message: string): void => options.onWarning(redact(message));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const queue = createSendQueue({
    name: 'GitHub deployments',
    budgetMs: timeoutMs,
    closeDeadlineMs: options.closeDeadlineMs ?? timeoutMs,
    onWarning: warn,
    ...(options.retryDelayMs !== undefined ? { baseDelayMs: options.retryDelayMs } : {}),
  });
  const tracked = new Map<string, Tracked>();
  let stages: string[] = [];

  const start = (stage: string): void => {
    if (tracked.has(stage)) return;
    const entry: Tracked = { states: ['in_progress'] };
    tracked.set(stage, entry);
    const production = options.productionEnvironments ? options.productionEnvironments.includes(stage) : stage === stages.at(-1);
    queue.enqueue(`create deployment ${stage}`, async (signal) => {
      const created = await viaQueue(() =>
        api.createDeployment(
          {
            ...repository,
            ref: options.ref,
            environment: redact(`${prefix}${stage}`),
            description: redact(`promote ${stage}`),
            auto_merge: false,
            required_contexts: [],
            transient_environment: options.transientEnvironments?.includes(stage) ?? false,
            production_environment: production,
          },
          { signal },
        ),
      );
      entry.id = created.id;
    });
    send(stage, entry, 'in_progress', `promoting ${stage}`);
  };

  const send = (stage: string, entry: Tracked, state: DeploymentState, description: string): void => {
    queue.enqueue(`deployment ${stage} ${state}`, async (signal) => {
      // Creating it failed and was reported: a status for nothing would fail again.
      if (entry.id === undefined) return;
      const url = options.environmentUrl?.(stage);
      await viaQueue(() =>
        api.createDeploymentStatus(
          {
            ...repository,
            deployment_id: entry.id!,
            state,
            description: clip(redact(oneLine(description))),
            ...(options.logUrl ? { log_url: redact(options.logUrl) } : {}),
            ...(url ? { environment_url: redact(url) } : {}),
          },
          { signal },
        ),
      );
    });
  };

  const move = (stage: string, state: DeploymentState, description: string): void => {
    const entry = tracked.get(stage);
    if (!entry || entry.states.includes(state)) return;
    if (state !== 'inactive' && entry.states.some((s) => FINAL.includes(s))) return;
    entry.states.push(state);
    send(stage, entry, state, description);
  };

  const handle = (event: RunEvent): void => {
    switch (event.type) {
      case 'run.started':
        stages = event.stages;
        return;
      case 'step.started':
        return start(event.stage);
      case 'step.failed':
        if (event.step === 'unlock') return;
        start(event.stage);
        return move(event.stage, 'failure', `${event.step} failed: ${describeFailure(event.step, event.error, event.detail).join('; ')}`);
      case 'step.succeeded':
        start(event.stage);
        if (event.step === 'rollback') {
          const version = event.detail?.workerVersion ? ` (version ${event.detail.workerVersion} serving again)` : '';
          move(event.stage, 'failure', `${event.stage} failed and was rolled back`);
          move(event.stage, 'inactive', `rolled back${version}`);
        }
        return;
      case 'stage.finished':
        return finish(event.stage, event.result);
      case 'summary':
        // An interrupted run can be resumed: its open stage is neither a success nor a failure yet.
        if (event.result === 'interrupted') for (const stage of tracked.keys()) move(stage, 'error', 'interrupted; continue with promote resume');
        else for (const s of event.stages) finish(s.environment, s.result);
        return;
      case 'run.interrupted':
        return;
    }
  };

  const finish = (stage: string, result: string): void => {
    if (result === 'promoted') move(stage, 'success', `${stage} promoted`);
    else if (result === 'rolled-back') {
      move(stage, 'failure', `${stage} failed and was rolled back`);
      move(stage, 'inactive', 'rolled back');
    } else if (result === 'failed') move(stage, 'failure', `${stage} ${describeStageResult('failed')}`);
  };

  return {
    write(raw) {
      try {
        handle(redactEvent(raw, redact));
      } catch (error) {
        warn(`GitHub deployments: ${(error as Error)?.message ?? String(error)}`);
      }
    },
    drain: () => queue.drain(),
    close: () => queue.close(),
  };
}

/** GitHubApiError -> the queue's retry decision. */
export async function viaQueue<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof GitHubApiError) throw new DeliveryError(error.message, error.retryable, error.retryAfterMs);
    throw error;
  }
}

function clip(text: string): string {
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}
