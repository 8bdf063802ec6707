/**
 * The tables, indexes, views and triggers a migration leaves behind: what it creates minus what it
 * drops again (or renames away) later in the same file. A rename that has no recorded checksum is
 * confirmed by finding all of them in the live schema.
 */
import { tokenize } from './sql-tokens.js';
import { shapeOf, type ObjectType } from './statement-shape.js';
import type { Migration } from './types.js';

export interface CreatedObject {
  type: ObjectType;
  name: string;
}

export function createdObjects(m: Pick<Migration, 'statements'>): CreatedObject[] {
  const objects = new Map<string, CreatedObject>();
  const key = (type: ObjectType, name: string): string => `${type}:${name.toLowerCase()}`;
  for (const statement of m.statements) {
    const shape = shapeOf(tokenize(statement.sql, statement.line));
    if (shape.kind === 'create') {
      // TEMP objects vanish with the connection: they are never in the live schema.
      if (/^\s*CREATE\s+TEMP/i.test(statement.sql)) continue;
      objects.set(key(shape.objectType, shape.name.name), { type: shape.objectType, name: shape.name.name });
    } else if (shape.kind === 'drop') {
      objects.delete(key(shape.objectType, shape.name.name));
    } else if (shape.kind === 'alter-table' && shape.action === 'rename-table' && shape.newName) {
      objects.delete(key('table', shape.name.name));
      objects.set(key('table', shape.newName.name), { type: 'table', name: shape.newName.name });
    }
  }
  return [...objects.values()];
}
