import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { loadProject, type LoadOptions } from '../../../src/config/load-project.js';
import { formatProblem, type Problem } from '../../../src/problems.js';

const roots: string[] = [];

afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

/** A throwaway project directory holding exactly `files` (relative path -> content). */
export async function makeProject(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'promote-config-'));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const target = path.join(root, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return root;
}

/** Runs loadProject expecting it to fail, and returns what it reported. */
export async function loadProblems(root: string, opts: LoadOptions = { env: {} }): Promise<Problem[]> {
  const err = await loadProject(root, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidInputError);
  return (err as InvalidInputError).problems;
}

/** `file:line severity code: message` lines, the way the CLI prints them (without hints). */
export function rendered(problems: Problem[]): string[] {
  return problems.map((p) => formatProblem({ ...p, hint: undefined }));
}

export const PIPELINE = `name: shop
stages:
  - environment: local
  - environment: staging
`;
export const LOCAL_ENV = 'target: local\n';
export const STAGING_ENV = `target: cloudflare
wrangler:
  env: staging
`;

/** A valid two-stage project, with `overrides` replacing or adding files. */
export function project(overrides: Record<string, string | Uint8Array> = {}): Promise<string> {
  return makeProject({
    'pipeline/pipeline.yaml': PIPELINE,
    'environments/local.yaml': LOCAL_ENV,
    'environments/staging.yaml': STAGING_ENV,
    ...overrides,
  });
}
