import { describe, expect, it } from 'vitest';
import { expandString, interpolate } from '../../../src/config/interpolate.js';

describe('expandString', () => {
  const env = { HOST: 'db.example', EMPTY: '' };
  it.each([
    ['https://${HOST}/x', 'https://db.example/x'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY}', ''],
    ['${MISSING:-}', ''],
    ['$${HOST}', '${HOST}'],
    // Only `$${` is an escape: a third `$` before it stays as written.
    ['$$${HOST}', '$${HOST}'],
    ['cost: $5', 'cost: $5'],
    ['${HOST}:${HOST}', 'db.example:db.example'],
  ])('%s -> %s', (text, value) => {
    expect(expandString(text, env)).toEqual({ value });
  });

  it('lists every unset variable and flags malformed syntax', () => {
    expect(expandString('${A}/${B:-b}/${C}', {})).toEqual({ unset: ['A', 'C'], malformed: false });
    expect(expandString('${1BAD}', {})).toEqual({ unset: [], malformed: true });
  });
});

describe('interpolate', () => {
  it('expands values only, records what was written, and types unquoted whole references', () => {
    const result = interpolate(
      { '${KEY}': 'x', list: ['${A}', 2], port: '${P}', quoted: '${P}' },
      {
        file: 'f.yaml',
        env: { A: 'a', P: '80' },
        isPlainScalar: (path) => path[0] === 'port',
      },
    );
    expect(result.problems).toEqual([]);
    expect(result.value).toEqual({ '${KEY}': 'x', list: ['a', 2], port: 80, quoted: '80' });
    expect([...result.written.entries()]).toEqual([
      ['["list",0]', '${A}'],
      ['["port"]', '${P}'],
      ['["quoted"]', '${P}'],
    ]);
  });

  it('never retypes a variable into structure', () => {
    const result = interpolate({ v: '${V}' }, { file: 'f.yaml', env: { V: '{a: 1}' }, isPlainScalar: () => true });
    expect(result.value).toEqual({ v: '{a: 1}' });
  });
});
