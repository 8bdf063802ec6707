/**
 * A problem found in the user's files before anything runs. Config loading and
 * migration linting both produce these, so the CLI renders them one way:
 * `file:line code: message` followed by what to do.
 */
export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Stable identifier, e.g. E_DUPLICATE_NUMBER, W_DROP_TABLE. Tests and tooling match on it. */
  code: string;
  message: string;
  /** Path relative to the project root, with forward slashes. */
  file: string;
  /** 1-based line, where one exists. */
  line?: number;
  /** 1-based column on that line, where the tool knows it (YAML syntax errors). */
  column?: number;
  /** Every file involved when more than one is (duplicates, orphan rollbacks). */
  files?: string[];
  /** What the user should do about it. */
  hint?: string;
}

export function isError(p: Problem): boolean {
  return p.severity === 'error';
}

export function formatProblem(p: Problem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}${p.column !== undefined ? `:${p.column}` : ''}` : p.file;
  const head = `${where} ${p.severity} ${p.code}: ${p.message}`;
  return p.hint ? `${head}\n    fix: ${p.hint}` : head;
}

/** Errors first, then by file and line, so output reads like a compiler's. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      Number(b.severity === 'error') - Number(a.severity === 'error') ||
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
}
