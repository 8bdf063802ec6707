import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { environmentJsonSchema, JSON_SCHEMA_FILES, pipelineJsonSchema, renderJsonSchema } from '../../../src/config/json-schema.js';
import { writeJsonSchemas } from '../../../src/config/write-json-schema.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('JSON Schemas', () => {
  it.each(Object.entries(JSON_SCHEMA_FILES))('%s is up to date', async (file, generate) => {
    const committed = await readFile(path.join(REPO, file), 'utf8').catch(() => '(missing)');
    expect(committed, `${file} is stale: run npm run schema`).toBe(renderJsonSchema(generate()));
  });

  it('describes what users write: defaults optional, durations as text', () => {
    const pipeline = pipelineJsonSchema();
    expect(pipeline).toMatchObject({ title: 'promote pipeline', required: ['name', 'stages'], additionalProperties: false });
    const env = JSON.stringify(environmentJsonSchema());
    expect(env).toContain('"const":"cloudflare"');
    expect(env).toContain('"pattern":"^(\\\\d+(?:\\\\.\\\\d+)?)(ms|s|m|h)$"');
  });

  it('writes both files under <root>/schemas', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'promote-schema-'));
    try {
      expect(await writeJsonSchemas(root)).toEqual(Object.keys(JSON_SCHEMA_FILES));
      const text = await readFile(path.join(root, 'schemas/pipeline.schema.json'), 'utf8');
      expect(text.endsWith('}\n')).toBe(true);
      expect(JSON.parse(text)).toEqual(pipelineJsonSchema());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
