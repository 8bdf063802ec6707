/**
 * A monorepo of three packages, each its own promote project, promoted one after another from one
 * workflow step (`promote --cwd packages/<name> --to <stage>`), each with a layout teams have:
 * 3-digit numbering, drizzle-kit's folder per migration with statement-breakpoints (from 0000_), and
 * wrangler's default 4 digits. Each package's ledger holds its own migrations only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, ledgerNames, makeProject, runCli, tableNames } from '../helpers/project.js';
import { join } from 'node:path';

afterAll(cleanupProjects);

const pipeline = (name: string) => `name: ${name}\nstages:\n  - environment: dev\n  - environment: staging\n`;
const localEnv = (databases: string) => `target: local\ndatabases:\n${databases}`;
const wrangler = (name: string) => JSON.stringify({ name, compatibility_date: '2026-04-01', d1_databases: [{ binding: 'DB', database_name: name, database_id: `${name}-id` }] });

const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }),
  // 3-digit numbering throughout
  'packages/api/wrangler.jsonc': wrangler('api'),
  'packages/api/pipeline/pipeline.yaml': pipeline('api'),
  'packages/api/environments/dev.yaml': localEnv('  - binding: DB\n'),
  'packages/api/environments/staging.yaml': localEnv('  - binding: DB\n'),
  'packages/api/migrations/001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n',
  'packages/api/migrations/002_sessions.sql': 'CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n',
  // drizzle-kit: a folder per migration, from 0000_, statements split by breakpoints
  'packages/billing/wrangler.jsonc': wrangler('billing'),
  'packages/billing/pipeline/pipeline.yaml': pipeline('billing'),
  'packages/billing/environments/dev.yaml': localEnv('  - binding: DB\n    migrations: drizzle\n    migrations_pattern: drizzle/*/migration.sql\n'),
  'packages/billing/environments/staging.yaml': localEnv('  - binding: DB\n    migrations: drizzle\n    migrations_pattern: drizzle/*/migration.sql\n'),
  'packages/billing/drizzle/0000_tiny_wolverine/migration.sql':
    'CREATE TABLE `invoices` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`total` integer NOT NULL\n);\n--> statement-breakpoint\nCREATE INDEX `invoices_total` ON `invoices` (`total`);',
  'packages/billing/drizzle/0000_tiny_wolverine/snapshot.json': '{}',
  'packages/billing/drizzle/0001_brave_hulk/migration.sql': 'ALTER TABLE `invoices` ADD `paid_at` text;',
  'packages/billing/drizzle/meta/_journal.json': '{"entries":[]}',
  // wrangler's default layout
  'packages/admin/wrangler.jsonc': wrangler('admin'),
  'packages/admin/pipeline/pipeline.yaml': pipeline('admin'),
  'packages/admin/environments/dev.yaml': localEnv('  - binding: DB\n'),
  'packages/admin/environments/staging.yaml': localEnv('  - binding: DB\n'),
  'packages/admin/migrations/0001_audit.sql': 'CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT);\n',
};

describe('monorepo: three packages, each its own promote project', () => {
  it('one workflow promotes each package with --cwd; ledgers and states stay apart', async () => {
    const root = await makeProject(FILES);
    for (const pkg of ['api', 'billing', 'admin']) {
      const validated = await runCli(['validate', '--cwd', join(root, 'packages', pkg)]);
      expect(validated.code, `${pkg}: ${validated.stdout}${validated.stderr}`).toBe(0);
    }
    // what a workflow step runs: for p in api billing admin; do npx promote --cwd packages/$p --to staging; done
    for (const pkg of ['api', 'billing', 'admin']) {
      const promoted = await runCli(['--to', 'staging', '--cwd', `packages/${pkg}`], { cwd: root });
      expect(promoted.code, `${pkg}: ${promoted.stdout}${promoted.stderr}`).toBe(0);
    }
    const api = join(root, 'packages/api');
    const billing = join(root, 'packages/billing');
    const admin = join(root, 'packages/admin');
    expect(await ledgerNames(api, 'staging')).toEqual(['001_users.sql', '002_sessions.sql']);
    expect(await ledgerNames(billing, 'staging')).toEqual(['0000_tiny_wolverine/migration.sql', '0001_brave_hulk/migration.sql']);
    expect(await ledgerNames(admin, 'staging')).toEqual(['0001_audit.sql']);
    expect(await tableNames(billing, 'staging')).toEqual(expect.arrayContaining(['invoices']));
    expect(await tableNames(billing, 'staging')).not.toContain('users');

    const status = JSON.parse((await runCli(['status', '--json', '--cwd', billing])).stdout);
    expect(status.environments.map((e: { databases: { pending: string[] }[] }) => e.databases[0]!.pending)).toEqual([[], []]);
  }, 300_000);

  it('mixed number widths inside one package stay an error naming the files', async () => {
    const root = await makeProject({ ...FILES, 'packages/api/migrations/0003_tokens.sql': 'CREATE TABLE tokens (id INTEGER PRIMARY KEY);\n' });
    const validated = await runCli(['validate', '--cwd', join(root, 'packages/api')]);
    expect(validated.code).toBe(2);
    expect(validated.stderr).toContain('E_MIXED_NUMBER_WIDTH');
    expect(validated.stderr).toContain('migrations/0003_tokens.sql');
    // the other packages are not affected
    expect((await runCli(['validate', '--cwd', join(root, 'packages/admin')])).code).toBe(0);
  }, 60_000);
});
