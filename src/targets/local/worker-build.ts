/**
 * Builds a local environment's Worker the way wrangler would: one bundled ESM
 * module, workerd conditions, `cloudflare:*` and `node:*` left to the runtime.
 * The output is deterministic (no minify, no source map, paths relative to the
 * project root), so the same sources give the same codeHash and deploying them
 * twice is recognised as a no-op. esbuild is imported lazily to keep CLI
 * start-up fast.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Message } from 'esbuild';
import { InvalidInputError } from '../../errors.js';
import type { Problem } from '../../problems.js';

/** Same pin as the admin Worker: recent enough, and workerd never warns about it. */
export const DEFAULT_COMPATIBILITY_DATE = '2026-04-01';

export interface WorkerSource {
  main: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
}

export interface WorkerBuild {
  /** Entry point, relative to the project root, forward slashes. */
  main: string;
  /** The whole Worker as one ESM module. */
  code: string;
  /** `sha256:<hex>` of code. */
  codeHash: string;
  /** `sha256:<hex>` of the canonical JSON of compatibility date, flags and vars. */
  configHash: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
}

export async function buildWorker(root: string, worker: WorkerSource): Promise<WorkerBuild> {
  const absRoot = resolve(root);
  const entry = resolve(absRoot, worker.main);
  const main = toProjectPath(absRoot, entry);
  const esbuild = await import('esbuild');
  let code: string;
  try {
    const result = await esbuild.build({
      absWorkingDir: absRoot,
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      external: ['cloudflare:*', 'node:*'],
      write: false,
      logLevel: 'silent',
      sourcemap: false,
      minify: false,
    });
    const output = result.outputFiles[0];
    if (!output) throw new InvalidInputError([buildProblem(main, undefined, 'esbuild produced no output')]);
    code = output.text;
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const messages = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(messages) || messages.length === 0) throw error;
    throw new InvalidInputError(
      messages.map((m) =>
        buildProblem(m.location ? toProjectPath(absRoot, resolve(absRoot, m.location.file)) : main, m.location?.line, m.text),
      ),
      `the Worker ${main} does not build; nothing was deployed`,
    );
  }

  const compatibilityDate = worker.compatibility_date ?? DEFAULT_COMPATIBILITY_DATE;
  const compatibilityFlags = [...(worker.compatibility_flags ?? [])];
  const vars = { ...(worker.vars ?? {}) };
  return {
    main,
    code,
    codeHash: sha256(code),
    configHash: sha256(canonicalJson({ compatibility_date: compatibilityDate, compatibility_flags: compatibilityFlags, vars })),
    compatibilityDate,
    compatibilityFlags,
    vars,
  };
}

function buildProblem(file: string, line: number | undefined, message: string): Problem {
  const problem: Problem = { severity: 'error', code: 'E_WORKER_BUILD', file, message, hint: 'fix the Worker source; nothing was deployed' };
  if (line !== undefined && line > 0) problem.line = line;
  return problem;
}

function toProjectPath(absRoot: string, absPath: string): string {
  const rel = relative(absRoot, absPath);
  const shown = rel === '' || isAbsolute(rel) ? absPath : rel;
  return shown.split(sep).join('/');
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** JSON with object keys sorted at every depth, so key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
