import { discoverMigrations } from '../../../src/migrations/discover.js';
import { lintMigrations } from '../../../src/migrations/lint.js';
import type { Problem } from '../../../src/problems.js';
import type { RawFile } from '../../../src/migrations/types.js';

export function raw(name: string, text: string | Uint8Array): RawFile {
  return { name, bytes: typeof text === 'string' ? new TextEncoder().encode(text) : text };
}

export function rawFiles(files: Record<string, string>): RawFile[] {
  return Object.entries(files).map(([name, text]) => raw(name, text));
}

export function discover(files: Record<string, string>, allowGaps = false) {
  return discoverMigrations(rawFiles(files), { dir: 'migrations', allowGaps });
}

/** Lint problems for a migration set; fails the test if discovery itself found errors. */
export function lint(files: Record<string, string>): Problem[] {
  const { migrations, problems } = discover(files, true);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(`fixture has discovery errors: ${JSON.stringify(errors)}`);
  return lintMigrations(migrations);
}

export function codes(problems: Problem[]): string[] {
  return problems.map((p) => p.code);
}

/** `code@file:line` for compact, exact assertions. */
export function where(problems: Problem[]): string[] {
  return problems.map((p) => `${p.code}@${p.file}:${p.line ?? '-'}`);
}
