/** A location inside a parsed config file: object keys and array indexes from the top. */
export type KeyPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `health[0].expect.status`, the spelling every config message uses; `(top level)` for []. */
export function formatKeyPath(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    // Header names and the like can hold dots or spaces; quote them so the path stays unambiguous.
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A string usable as a Map key for a path. */
export function keyPathId(path: KeyPath): string {
  return JSON.stringify(path);
}

/** The value found at `path` in plain data, or undefined when any step is missing. */
export function valueAt(root: unknown, path: KeyPath): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
