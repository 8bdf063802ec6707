/**
 * One YAML config file, parsed with positions kept, so a problem found later
 * (by zod, by cross-file rules) can point at the line the user has to edit.
 */
import { Document, isAlias, type Alias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Problem } from '../problems.js';
import type { KeyPath } from './key-path.js';

export interface YamlSource {
  /** Relative to the project root, forward slashes. */
  file: string;
  /** The top-level mapping as plain data. */
  value: Record<string, unknown>;
  /**
   * 1-based line of the node at `path`: for a key, the key's own line; for a missing
   * key, the line of its nearest existing parent.
   */
  lineOf(path: KeyPath): number | undefined;
  /** True when the node at `path` is an unquoted scalar (YAML would have typed it). */
  isPlainScalar(path: KeyPath): boolean;
}

export type YamlParse = { source: YamlSource } | { problems: Problem[] };

const BOMS: [number[], string][] = [
  [[0xff, 0xfe], 'UTF-16 (little-endian)'],
  [[0xfe, 0xff], 'UTF-16 (big-endian)'],
];

/** Bytes -> text, refusing what is not UTF-8 text instead of parsing garbage. */
export function decodeConfigText(bytes: Uint8Array, file: string): { text: string } | { problems: Problem[] } {
  const fail = (message: string, hint: string, line?: number): { problems: Problem[] } => ({
    problems: [
      { severity: 'error', code: 'E_CONFIG_ENCODING', file, ...(line !== undefined ? { line } : {}), message, hint },
    ],
  });
  for (const [bom, name] of BOMS) {
    if (bom.every((b, i) => bytes[i] === b)) {
      return fail(`file is encoded as ${name}, not UTF-8`, 'save the file as UTF-8 text (in most editors: "Save with encoding" -> UTF-8)');
    }
  }
  if (bytes.includes(0)) {
    return fail(
      'file contains NUL bytes: it looks binary, not YAML text',
      'replace it with a YAML text file saved as UTF-8 (was a binary file copied here by mistake?)',
    );
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const line = lineOfBadByte(bytes);
    return fail(
      `file is not valid UTF-8 (first bad byte near line ${line})`,
      `retype the accented or special characters on line ${line} and save the file as UTF-8 (it looks like Latin-1 or another legacy encoding)`,
      line,
    );
  }
}

/** Where decoding broke, so the user can find the stray Latin-1 character. */
function lineOfBadByte(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

export function parseYamlSource(text: string, file: string): YamlParse {
  const counter = new LineCounter();
  // uniqueKeys: a duplicated key silently wins in most parsers; for config it is always a mistake.
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true });
  const lineAt = (offset: number): number => counter.linePos(offset).line;

  if (doc.errors.length > 0) return { problems: syntaxProblems(doc, text, file, lineAt) };

  const root = doc.contents;
  if (!isMap(root)) {
    const what =
      root === null || (isScalar(root) && root.value === null)
        ? 'file is empty'
        : isSeq(root)
          ? 'top level is a list'
          : 'top level is a single value';
    return {
      problems: [
        {
          severity: 'error',
          code: 'E_CONFIG_NOT_MAPPING',
          file,
          line: root?.range ? lineAt(root.range[0]) : 1,
          message: `${what}; expected a mapping of keys (such as \`name: ...\`)`,
          hint: 'write the settings as `key: value` lines at the top level of the file',
        },
      ],
    };
  }

  const nodeAt = (path: KeyPath): { node: unknown; line: number | undefined; found: boolean } => {
    let node: unknown = root;
    let line = root.range ? lineAt(root.range[0]) : undefined;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(doc);
      let next: { node: unknown; start: number | undefined } | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        if (pair) next = { node: pair.value, start: rangeStart(pair.key) ?? rangeStart(pair.value) };
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item !== undefined) next = { node: item, start: rangeStart(item) };
      }
      if (!next) return { node: undefined, line, found: false };
      node = next.node;
      if (next.start !== undefined) line = lineAt(next.start);
    }
    return { node, line, found: true };
  };

  // An alias inside the node it refers to would become a circular value: every later walk
  // over the data (interpolation, validation) would recurse forever. Refuse it here.
  const recursive = findRecursiveAlias(doc);
  if (recursive) {
    const name = recursive.source;
    const at = rangeStart(recursive) ?? 0;
    // The anchor a name resolves to is the closest one written before the alias.
    const anchor = text.lastIndexOf(`&${name}`, at);
    return {
      problems: [
        {
          severity: 'error',
          code: 'E_CONFIG_YAML',
          file,
          line: lineAt(at),
          message: `alias *${name} is inside the value it refers to (&${name}${anchor >= 0 ? `, line ${lineAt(anchor)}` : ''}): that value would contain itself without end`,
          hint: `replace *${name} with the values written out, or move the anchor &${name} to a part that does not contain *${name}`,
        },
      ],
    };
  }

  let value: Record<string, unknown>;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (err) {
    // An alias bomb (billions of expanded nodes) is refused here rather than eating the memory.
    const message = err instanceof Error ? err.message : String(err);
    return {
      problems: [
        {
          severity: 'error',
          code: 'E_CONFIG_YAML',
          file,
          line: 1,
          message,
          hint: 'write the values out instead of nesting aliases (*name) of aliases; config files never need that many',
        },
      ],
    };
  }

  return {
    source: {
      file,
      value,
      lineOf: (path) => nodeAt(path).line,
      isPlainScalar: (path) => {
        const { node, found } = nodeAt(path);
        return found && isScalar(node) && node.type === 'PLAIN';
      },
    },
  };
}

/**
 * The first alias (in document order) whose target contains it, directly or through
 * other aliases: the one that closes a cycle. Depth-first over the node graph with
 * aliases followed, each node explored once, so an alias bomb stays linear here.
 */
function findRecursiveAlias(doc: Document): Alias | undefined {
  const state = new Map<unknown, 'open' | 'done'>();
  let found: Alias | undefined;
  const visit = (node: unknown): boolean => {
    if (isAlias(node)) {
      const resolved = node.resolve(doc);
      if (resolved === undefined) return false;
      if (state.get(resolved) === 'open') {
        found = node;
        return true;
      }
      return visit(resolved);
    }
    if (state.has(node)) return false;
    if (isMap(node)) {
      state.set(node, 'open');
      for (const pair of node.items) if (visit(pair.key) || visit(pair.value)) return true;
    } else if (isSeq(node)) {
      state.set(node, 'open');
      for (const item of node.items) if (visit(item)) return true;
    } else return false;
    state.set(node, 'done');
    return false;
  };
  return visit(doc.contents) ? found : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function syntaxProblems(doc: Document, text: string, file: string, lineAt: (offset: number) => number): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const err of doc.errors) {
    let at = err.pos[0];
    // yaml notices an unclosed quote or bracket where the next thing starts (often the next
    // line, or the end of the file); the user needs the place that opened it.
    const quote = err.code === 'MISSING_CHAR' ? /Missing closing (["'])quote/.exec(err.message)?.[1] : undefined;
    const bracket = /^Flow (?:sequence|map)\b.*end with a ([\]}])/.exec(err.message)?.[1];
    const opener = quote ?? (bracket === ']' ? '[' : bracket === '}' ? '{' : undefined);
    const opened = opener ? text.lastIndexOf(opener, at - 1) : -1;
    if (opened >= 0) at = opened;
    // An error reported at the indentation of a line points at its first character instead.
    while (text[at] === ' ' && opened < 0) at++;
    const line = lineAt(at);
    const column = at - (text.lastIndexOf('\n', at - 1) + 1) + 1;
    let message = err.message.split(/ at line \d+, column \d+/)[0]!;
    let code = 'E_CONFIG_YAML';
    let hint = 'fix the YAML syntax (indent with spaces, quote values that contain ": " or "#")';
    if (err.code === 'DUPLICATE_KEY') {
      code = 'E_CONFIG_DUPLICATE_KEY';
      const dup = findDuplicateKey(doc, err.pos[0], lineAt);
      message = dup
        ? `duplicate key '${dup.key}' (first written at line ${dup.firstLine})`
        : 'duplicate key in this mapping';
      hint = 'keep one of the two entries; YAML keys must be unique';
    } else if (err.code === 'TAB_AS_INDENT') {
      hint = 'indent with spaces; YAML does not allow tabs for indentation';
    }
    const id = `${line}:${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ severity: 'error', code, file, line, column, message, hint });
  }
  return problems;
}

/** The key whose second occurrence starts at `offset`, and where its first one is. */
function findDuplicateKey(
  doc: Document,
  offset: number,
  lineAt: (offset: number) => number,
): { key: string; firstLine: number } | undefined {
  const visit = (node: unknown): { key: string; firstLine: number } | undefined => {
    if (isMap(node)) {
      const first = new Map<string, number>();
      for (const pair of node.items) {
        const key = keyText(pair.key);
        const start = rangeStart(pair.key);
        if (key !== undefined && start !== undefined) {
          if (start === offset && first.has(key)) return { key, firstLine: lineAt(first.get(key)!) };
          if (!first.has(key)) first.set(key, start);
        }
        const inner = visit(pair.value);
        if (inner) return inner;
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const inner = visit(item);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  return visit(doc.contents);
}
