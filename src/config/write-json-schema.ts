/**
 * `node dist/config/write-json-schema.js [root]` (npm run schema): rewrites the
 * committed JSON Schemas under <root>/schemas/. A unit test fails when they are stale.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA_FILES, renderJsonSchema } from './json-schema.js';

export async function writeJsonSchemas(root: string): Promise<string[]> {
  const written: string[] = [];
  for (const [file, generate] of Object.entries(JSON_SCHEMA_FILES)) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, renderJsonSchema(generate()));
    written.push(file);
  }
  return written;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const root = path.resolve(process.argv[2] ?? process.cwd());
  for (const file of await writeJsonSchemas(root)) console.log(`wrote ${file}`);
}
