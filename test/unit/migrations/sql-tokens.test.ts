import { describe, expect, it } from 'vitest';
import { identifierOf, keywordOf, leadingKeywords, tokenize } from '../../../src/migrations/sql-tokens.js';

describe('tokenize', () => {
  it('classifies words, quoted identifiers, strings, numbers, params and punctuation', () => {
    const tokens = tokenize(`SELECT "a b", [c], \`d\`, 'e''f', X'00ff', 1.5e-3, 0x1F, ?1, :name FROM t;`);
    expect(tokens.map((t) => t.kind)).toEqual([
      'word', 'quoted', 'punct', 'quoted', 'punct', 'quoted', 'punct', 'string', 'punct', 'string', 'punct',
      'number', 'punct', 'number', 'punct', 'param', 'punct', 'param', 'word', 'word', 'punct',
    ]);
    expect(tokens.find((t) => t.kind === 'number')!.text).toBe('1.5e-3');
  });

  it('skips comments entirely, so keywords inside them are invisible', () => {
    expect(tokenize('-- BEGIN;\n/* COMMIT; */ SELECT 1').map((t) => t.text)).toEqual(['SELECT', '1']);
  });

  it('numbers lines from firstLine, counting CRLF and lone CR once', () => {
    const tokens = tokenize('a\r\nb\rc\nd', 10);
    expect(tokens.map((t) => t.line)).toEqual([10, 11, 12, 13]);
  });

  it('marks an unterminated string', () => {
    expect(tokenize("SELECT 'abc")[1]).toMatchObject({ kind: 'string', unterminated: true });
  });
});

describe('keyword and identifier helpers', () => {
  it('only bare words are keywords, case-insensitively', () => {
    const [word, quoted, str] = tokenize(`begin "begin" 'begin'`);
    expect(keywordOf(word)).toBe('BEGIN');
    expect(keywordOf(quoted)).toBeUndefined();
    expect(keywordOf(str)).toBeUndefined();
  });

  it('unquotes identifiers', () => {
    expect(tokenize(`"a""b" [c d] \`e\`\`f\` 'g''h' plain`).map(identifierOf)).toEqual(['a"b', 'c d', 'e`f', "g'h", 'plain']);
  });

  it('leadingKeywords stops at the first non-word', () => {
    expect(leadingKeywords('/* x */ end transaction;', 3)).toEqual(['END', 'TRANSACTION']);
    expect(leadingKeywords('CREATE VIRTUAL TABLE t USING fts5(x)', 3)).toEqual(['CREATE', 'VIRTUAL', 'TABLE']);
  });
});
