/** promote init's files from a wrangler config: order, names, bindings, and that they validate. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvironmentSchema, PipelineSchema } from '../../../src/config/schema.js';
import { initFiles } from '../../../src/engine/init-files.js';
import { parseWranglerConfig } from '../../../src/wrangler/wrangler-config.js';

const TOML = `name = "shop"
main = "src/worker.ts"
compatibility_date = "2026-04-01"

[[d1_databases]]
binding = "DB"
database_name = "shop-local"
database_id = "local-id"
migrations_dir = "db/migrations"

[env.production]
[[env.production.d1_databases]]
binding = "DB"
database_name = "shop"
database_id = "prod-id"
migrations_dir = "db/migrations"

[env.Preview]
[env.staging]
[[env.staging.d1_databases]]
binding = "DB"
database_name = "shop-staging"
database_id = "staging-id"
migrations_dir = "db/migrations"
[env.dev]
`;

describe('initFiles', () => {
  const out = initFiles({ ...parseWranglerConfig('wrangler.toml', TOML), file: 'wrangler.toml' }, 'folder');

  it('local first, then dev, staging, production, then the others; the bookmark on the last stage', () => {
    expect(out.stages).toEqual(['local', 'dev', 'staging', 'production', 'preview']);
    const pipeline = PipelineSchema.parse(parse(out.files['pipeline/pipeline.yaml']!));
    expect(pipeline.name).toBe('shop');
    expect(pipeline.stages.map((s) => [s.environment, s.bookmark])).toEqual([['local', false], ['dev', false], ['staging', false], ['production', false], ['preview', true]]);
    expect(out.files['pipeline/pipeline.yaml']).toContain('reorder as needed');
  });

  it('a local environment on wrangler state with the top-level bindings, and cloudflare ones naming their env block', () => {
    const local = EnvironmentSchema.parse(parse(out.files['environments/local.yaml']!));
    expect(local).toMatchObject({ target: 'local', state: '.wrangler/state/v3', databases: [{ binding: 'DB', migrations: 'db/migrations' }], worker: { main: 'src/worker.ts' } });
    expect(local.target === 'local' && local.databases[0]!.database_id).toBeUndefined(); // the top-level id is found by binding
    const preview = EnvironmentSchema.parse(parse(out.files['environments/preview.yaml']!));
    expect(preview).toMatchObject({ target: 'cloudflare', wrangler: { env: 'Preview' } });
    expect(out.files['environments/staging.yaml']).toContain('#   DB: shop-staging, migrations in db/migrations/');
    expect(out.files['environments/staging.yaml']).toContain('#   - url: /health');
  });
});
