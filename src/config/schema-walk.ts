/**
 * Finds the zod schema that governs a path in the user's data, so an unknown key
 * can be compared with the keys that are allowed right there. Reads zod's public
 * `_zod.def` descriptors; a shape it cannot follow yields undefined (no suggestion)
 * rather than a wrong one.
 */
import type { z } from 'zod';
import { valueAt, type KeyPath } from './key-path.js';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
  getter?: () => z.ZodType;
}

const defOf = (s: z.ZodType): Def => s._zod.def as unknown as Def;

/** Strip defaults, optionals, pipes and the like down to the schema that has a shape. */
function unwrap(schema: z.ZodType, data: unknown): z.ZodType {
  for (let i = 0; i < 20; i++) {
    const def = defOf(schema);
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe' && def.in) schema = def.in;
    else if (def.type === 'lazy' && def.getter) schema = def.getter();
    else if (def.type === 'union' && def.discriminator && def.options) {
      const branch = pickBranch(def.options, def.discriminator, data);
      if (!branch) return schema;
      schema = branch;
    } else return schema;
  }
  return schema;
}

function pickBranch(options: z.ZodType[], key: string, data: unknown): z.ZodType | undefined {
  const tag = valueAt(data, [key]);
  return options.find((o) => literalValues(o, key).includes(tag));
}

function literalValues(option: z.ZodType, key: string): unknown[] {
  const prop = defOf(unwrap(option, undefined)).shape?.[key];
  return prop ? (defOf(unwrap(prop, undefined)).values ?? []) : [];
}

/** The schema for `path` in `data`, unwrapped, or undefined where the walk loses track. */
export function schemaAt(root: z.ZodType, data: unknown, path: KeyPath): z.ZodType | undefined {
  let schema = unwrap(root, data);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const def = defOf(schema);
    let next: z.ZodType | undefined;
    if (def.type === 'object' && typeof seg === 'string') next = def.shape?.[seg];
    else if (def.type === 'array') next = def.element;
    else if (def.type === 'record') next = def.valueType;
    if (!next) return undefined;
    schema = unwrap(next, valueAt(data, path.slice(0, i + 1)));
  }
  return schema;
}

/** Keys an object at `path` accepts, in schema order; [] when it is not a known object. */
export function knownKeysAt(root: z.ZodType, data: unknown, path: KeyPath): string[] {
  const schema = schemaAt(root, data, path);
  if (!schema) return [];
  const def = defOf(schema);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
