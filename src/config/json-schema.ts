/**
 * JSON Schemas for editors (yaml-language-server), generated from the zod schemas
 * so autocomplete and the loader can never disagree. `io: 'input'` describes what
 * users write (defaults optional, durations as "5s"), not the parsed output.
 */
import { z } from 'zod';
import { EnvironmentSchema, PipelineSchema } from './schema.js';

type JsonSchema = Record<string, unknown>;

function generate(schema: z.ZodType, title: string, description: string): JsonSchema {
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return { $schema, title, description, ...rest };
}

export function pipelineJsonSchema(): JsonSchema {
  return generate(
    PipelineSchema,
    'promote pipeline',
    'pipeline/pipeline.yaml: the ordered stages a release is promoted through. Generated from src/config/schema.ts (npm run schema).',
  );
}

export function environmentJsonSchema(): JsonSchema {
  return generate(
    EnvironmentSchema,
    'promote environment',
    'environments/<name>.yaml: one environment (target: local or cloudflare). Generated from src/config/schema.ts (npm run schema).',
  );
}

/** The exact bytes committed under schemas/: pretty, with a trailing newline. */
export function renderJsonSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export const JSON_SCHEMA_FILES = {
  'schemas/pipeline.schema.json': pipelineJsonSchema,
  'schemas/environment.schema.json': environmentJsonSchema,
} as const;
