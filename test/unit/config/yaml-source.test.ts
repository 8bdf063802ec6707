import { describe, expect, it } from 'vitest';
import { decodeConfigText, parseYamlSource, type YamlSource } from '../../../src/config/yaml-source.js';

function parse(text: string): YamlSource {
  const result = parseYamlSource(text, 'environments/x.yaml');
  if ('problems' in result) throw new Error(JSON.stringify(result.problems));
  return result.source;
}

const TEXT = `# comment
target: local
health:
  - url: /a
  - url: /b
    expect:
      status: 201
    headers: &h
      "X-Key.Name": v
defaults: *h
`;

describe('lineOf', () => {
  const source = parse(TEXT);
  it.each([
    [[], 2],
    [['target'], 2],
    [['health'], 3],
    [['health', 0], 4],
    [['health', 1, 'expect', 'status'], 7],
    [['health', 1, 'headers', 'X-Key.Name'], 9],
    // Missing keys and indexes: the nearest parent that exists.
    [['health', 0, 'expect', 'status'], 4],
    [['health', 5, 'url'], 3],
    [['nope'], 2],
    // Through an alias: the anchored node's line.
    [['defaults', 'X-Key.Name'], 9],
  ] as const)('%j -> line %i', (path, line) => {
    expect(source.lineOf(path)).toBe(line);
  });

  it('knows which scalars were written unquoted', () => {
    expect(source.isPlainScalar(['target'])).toBe(true);
    expect(source.isPlainScalar(['health', 1, 'headers'])).toBe(false);
    expect(parse('a: "1"\n').isPlainScalar(['a'])).toBe(false);
  });

  it('exposes the data as plain values', () => {
    expect(source.value).toMatchObject({ target: 'local', defaults: { 'X-Key.Name': 'v' } });
  });
});

describe('parse problems', () => {
  it('reports each syntax error once, with its line', () => {
    const result = parseYamlSource('a: 1\nb:\n\t- x\n', 'f.yaml');
    expect('problems' in result && result.problems.map((p) => [p.code, p.line, p.hint])).toEqual([
      ['E_CONFIG_YAML', 3, 'indent with spaces; YAML does not allow tabs for indentation'],
    ]);
  });

  it('finds duplicate keys in nested mappings', () => {
    const result = parseYamlSource('a:\n  b: 1\n  c: 2\n  b: 3\n', 'f.yaml');
    expect('problems' in result && result.problems[0]).toMatchObject({
      code: 'E_CONFIG_DUPLICATE_KEY',
      line: 4,
      message: "duplicate key 'b' (first written at line 2)",
    });
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) bomb.push(`${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10).fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`).join(', ')}]`);
    const result = parseYamlSource(`${bomb.join('\n')}\n`, 'f.yaml');
    expect('problems' in result && result.problems[0]!.code).toBe('E_CONFIG_YAML');
  });

  it('decodes UTF-8 and strips a byte order mark', () => {
    expect(decodeConfigText(new TextEncoder().encode('\ufeffa: é\n'), 'f.yaml')).toEqual({ text: 'a: é\n' });
  });
});

describe('recursive aliases', () => {
  it('refuses an alias inside the node it refers to, at the alias line', () => {
    const result = parseYamlSource('name: test\nstages: &stages\n  - environment: dev\n    again: *stages\n', 'pipeline/pipeline.yaml');
    expect('problems' in result && result.problems).toMatchObject([
      { code: 'E_CONFIG_YAML', file: 'pipeline/pipeline.yaml', line: 4, message: expect.stringContaining('*stages') },
    ]);
    expect('problems' in result && result.problems[0]!.hint).toMatch(/\S/);
  });

  it('finds a cycle through another anchor', () => {
    const result = parseYamlSource('a: &a\n  b: &b\n    c: [*a]\nd: *b\n', 'f.yaml');
    expect('problems' in result && result.problems.map((p) => [p.code, p.line])).toEqual([['E_CONFIG_YAML', 3]]);
  });

  it('still accepts aliases used many times that are not cycles', () => {
    const source = parse('h: &h { a: 1 }\nx: [*h, *h]\ny: { z: *h }\n');
    expect(source.value).toEqual({ h: { a: 1 }, x: [{ a: 1 }, { a: 1 }], y: { z: { a: 1 } } });
  });

  it('is a Problem, not a crash, through the whole file pipeline', async () => {
    const { parseConfigText } = await import('../../../src/config/config-file.js');
    const { validatePipeline } = await import('../../../src/config/validate.js');
    const text = new TextEncoder().encode('name: test\nstages: &stages\n  - environment: dev\n    again: *stages\n');
    const file = parseConfigText(text, 'pipeline/pipeline.yaml', {}, validatePipeline);
    expect(file.problems.map((p) => [p.code, p.line])).toEqual([['E_CONFIG_YAML', 4]]);
    expect(file.value).toBeUndefined();
  });
});
