import { describe, expect, it } from 'vitest';
import { describeJson, findJsonMismatch } from '../../../src/verify/json-subset.js';

describe('findJsonMismatch', () => {
  it.each([
    ['equal primitives', true, true],
    ['null', null, null],
    ['extra keys are fine', { ok: true }, { ok: true, version: '1.2.3' }],
    ['nested objects', { db: { ok: true } }, { db: { ok: true, ms: 3 }, kv: {} }],
    ['arrays element-wise subset', [{ name: 'db' }, { name: 'kv' }], [{ name: 'db', ok: true }, { name: 'kv', ok: true }]],
    ['empty object matches any object', {}, { a: 1 }],
  ])('matches: %s', (_label, expected, actual) => {
    expect(findJsonMismatch(expected, actual)).toBeUndefined();
  });

  it.each([
    ['primitive', { ok: true }, { ok: false }, 'body.ok: expected true, got false'],
    ['no coercion', { n: 1 }, { n: '1' }, 'body.n: expected 1, got "1"'],
    ['missing key', { db: { ok: true } }, { db: {} }, 'body.db.ok: missing, expected true'],
    ['object vs array', { db: {} }, { db: [] }, 'body.db: expected an object, got []'],
    ['object vs null', { db: {} }, { db: null }, 'body.db: expected an object, got null'],
    ['array length', { items: [1, 2] }, { items: [1, 2, 3] }, 'body.items: expected 2 element(s), got 3'],
    ['array order', [1, 2], [2, 1], 'body[0]: expected 1, got 2'],
    ['nested in array', { checks: [{ ok: true }] }, { checks: [{ ok: 'yes' }] }, 'body.checks[0].ok: expected true, got "yes"'],
    ['odd key', { 'x-y': 1 }, { 'x-y': 2 }, 'body["x-y"]: expected 1, got 2'],
    ['array vs object', [1], { 0: 1 }, 'body: expected an array, got {"0":1}'],
  ])('mismatch: %s', (_label, expected, actual, reason) => {
    expect(findJsonMismatch(expected, actual)).toBe(reason);
  });

  it('shortens long values so a reason stays one line', () => {
    expect(describeJson('x'.repeat(500))).toHaveLength(60);
    expect(describeJson(undefined)).toBe('undefined');
  });
});
