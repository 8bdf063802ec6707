/**
 * Subset matching of a health endpoint's JSON body against `expect.json`.
 *
 * Rules (what a reader of the config would guess):
 * - objects: every expected key must exist and match recursively; extra keys are fine
 *   (a health body grows fields over time; the check names only what it cares about);
 * - arrays: same length, element by element (in order), each element a subset match.
 *   Order and length matter because `[{ "name": "db" }]` reads as "exactly these", and
 *   "contains somewhere" matching makes failures hard to explain;
 * - primitives (string, number, boolean, null): strict equality, no coercion.
 */

/** Returns a precise description of the first mismatch, or undefined when `expected` is a subset of `actual`. */
export function findJsonMismatch(expected: unknown, actual: unknown, path = 'body'): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${describeJson(actual)}`;
    if (actual.length !== expected.length) {
      return `${path}: expected ${expected.length} element(s), got ${actual.length}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const mismatch = findJsonMismatch(expected[i], actual[i], `${path}[${i}]`);
      if (mismatch !== undefined) return mismatch;
    }
    return undefined;
  }
  if (isJsonObject(expected)) {
    if (!isJsonObject(actual)) return `${path}: expected an object, got ${describeJson(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const keyPath = path + formatKey(key);
      if (!Object.hasOwn(actual, key)) return `${keyPath}: missing, expected ${describeJson(value)}`;
      const mismatch = findJsonMismatch(value, actual[key], keyPath);
      if (mismatch !== undefined) return mismatch;
    }
    return undefined;
  }
  return expected === actual ? undefined : `${path}: expected ${describeJson(expected)}, got ${describeJson(actual)}`;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

const MAX_VALUE_CHARS = 60;

/** A value as it would appear in JSON, shortened so one reason stays one line. */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
