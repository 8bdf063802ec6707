import type { Problem } from './problems.js';

/** Exit codes are part of the CLI contract (README, CI scripts depend on them). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidInput: 2,
  locked: 3,
  rollbackFailed: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: every error we raise on purpose carries its exit code and a fix. */
export class PromoteError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad config, bad migrations, drift: found before any environment changes. Exit 2. */
export class InvalidInputError extends PromoteError {
  constructor(
    readonly problems: Problem[],
    message = `${problems.length} problem(s) found; nothing was changed`,
  ) {
    super(message, ExitCode.invalidInput);
  }
}

/** Another run holds an environment's lock. Exit 3. */
export class LockedError extends PromoteError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.locked, hint);
  }
}

/** Something failed while changing an environment. Exit 1. */
export class RunError extends PromoteError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.failed, hint);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** A rollback itself failed: a person must act. Exit 4. */
export class RollbackFailedError extends PromoteError {
  constructor(message: string, hint: string) {
    super(message, ExitCode.rollbackFailed, hint);
  }
}

/** A SQL error from D1 (real or emulated), with the statement that caused it when known. */
export class D1QueryError extends Error {
  constructor(
    message: string,
    /** Index into the batch that failed, when the engine could tell. */
    readonly statementIndex?: number,
    /** Cloudflare API error code (7500 for SQL errors) when it came over REST. */
    readonly code?: number,
  ) {
    super(message);
    this.name = 'D1QueryError';
  }
}

/**
 * A write was sent and no answer came back (timeout, reset, 5xx): it may or
 * may not have committed. Never repeat it blindly; look first.
 */
export class OutcomeUnknownError extends RunError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'promote reads the ledger before deciding; check `promote status` if this persists', options);
  }
}
