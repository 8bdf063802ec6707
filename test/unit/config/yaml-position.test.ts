/** A YAML syntax error points where the user has to type: the right line, and the column. */
import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../../../src/config/yaml-source.js';
import { formatProblem } from '../../../src/problems.js';

function firstProblem(text: string) {
  const parsed = parseYamlSource(text, 'pipeline/pipeline.yaml') as { problems?: { line?: number; column?: number }[] };
  const p = parsed.problems?.[0];
  expect(p, 'a problem').toBeDefined();
  return p as Parameters<typeof formatProblem>[0];
}

describe('YAML syntax error positions', () => {
  it('an unclosed [ points at the line and column that opened it, not the line after', () => {
    const p = firstProblem('name: example\nstages: [dev, staging\nrollback:\n  database: none\n');
    expect([p.line, p.column]).toEqual([2, 9]);
    expect(formatProblem(p)).toMatch(/^pipeline\/pipeline\.yaml:2:9 error E_CONFIG_YAML: /);
  });

  it('an unclosed { too', () => {
    const p = firstProblem('name: example\nrollback: {database: none\nstages: []\n');
    expect([p.line, p.column]).toEqual([2, 11]);
  });

  it('a key at the wrong indentation points at the key itself', () => {
    const p = firstProblem('name: example\nrollback:\n  database: none\n notify: {}\n');
    expect([p.line, p.column]).toEqual([4, 2]);
  });

  it('a missing colon points at the key', () => {
    const p = firstProblem('name: example\nstages:\n  - environment: dev\n    bookmark true\n  - environment: staging\n');
    expect([p.line, p.column]).toEqual([4, 5]);
  });
});
