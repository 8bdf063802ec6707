/**
 * Pure: a wrangler config in, the files `promote init` writes out. A `local`
 * first stage on wrangler's own local state (.wrangler/state/v3, so
 * `wrangler d1 execute DB --local` sees the same database), then one cloudflare
 * environment per env.<name> block in the usual order, the bookmark on the last
 * stage, and a commented /health check for the user to fill in.
 */
import type { WranglerConfig, WranglerD1Database } from '../wrangler/wrangler-config.js';

export interface InitFiles {
  /** Path relative to the project root -> content. */
  files: Record<string, string>;
  /** Environment names in pipeline order. */
  stages: string[];
}

/** Promotion order for the names teams use; other env blocks follow, for the user to reorder. */
const KNOWN_ORDER = ['development', 'dev', 'staging', 'production'];

export function initFiles(wrangler: WranglerConfig, projectName: string): InitFiles {
  const source = wrangler.file;
  const envKeys = Object.keys(wrangler.env ?? {});
  const known = KNOWN_ORDER.filter((k) => envKeys.includes(k));
  const others = envKeys.filter((k) => !KNOWN_ORDER.includes(k)).sort();
  const used = new Set(['local']);
  const envs = [...known, ...others].map((key) => {
    let name = key.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '') || 'env';
    while (used.has(name)) name = `${name}-cf`;
    used.add(name);
    return { key, name };
  });
  const stages = ['local', ...envs.map((e) => e.name)];
  const files: Record<string, string> = {
    'pipeline/pipeline.yaml': pipelineYaml(wrangler.name ?? projectName, stages, source, others.length > 0),
    'environments/local.yaml': localYaml(wrangler, source, envs.map((e) => e.key)),
  };
  for (const e of envs) files[`environments/${e.name}.yaml`] = cloudflareYaml(wrangler, e.key, source);
  return { files, stages };
}

function pipelineYaml(name: string, stages: string[], source: string, hasOthers: boolean): string {
  const lines = [
    `# Written by promote init from ${source}. A change walks these stages in order, and each`,
    '# must verify before the next one starts.',
    ...(hasOthers ? ['# Environments other than development/staging/production come after them: reorder as needed.'] : []),
    `name: ${yamlString(name)}`,
    'stages:',
    ...stages.flatMap((s, i) => (i === stages.length - 1 ? [`  - environment: ${s}`, '    bookmark: true          # D1 Time Travel bookmark right before this stage migrates'] : [`  - environment: ${s}`])),
    'rollback:',
    '  database: time-travel     # time-travel | down-migrations | auto | none',
    '',
  ];
  return lines.join('\n');
}

function healthComment(indent = ''): string[] {
  return [
    `${indent}# Fill in a health check the Worker answers, then uncomment:`,
    `${indent}# health:`,
    `${indent}#   - url: /health`,
    `${indent}#     expect:`,
    `${indent}#       status: 200`,
  ];
}

function localYaml(wrangler: WranglerConfig, source: string, envOrder: readonly string[]): string {
  // wrangler --local without --env uses the top-level bindings; without any, those of the first env
  // in promotion order (with its id, so `wrangler d1 ... --local --env <that env>` opens the same database).
  const top = wrangler.d1_databases ?? [];
  const firstEnv = envOrder.find((k) => (wrangler.env?.[k]?.d1_databases ?? []).length > 0);
  const fromEnv = top.length === 0 && firstEnv !== undefined;
  const databases = top.length > 0 ? top : (wrangler.env?.[firstEnv ?? '']?.d1_databases ?? []);
  const flag = fromEnv ? ` --env ${firstEnv}` : '';
  const lines = [
    `# The embedded target (Miniflare) on wrangler's own local state: \`wrangler d1 execute <binding> --local${flag}\``,
    `# and \`wrangler dev${flag}\` see this database. Written by promote init from ${source}.`,
    'target: local',
    'state: .wrangler/state/v3',
    ...(databases.length === 0 ? ['databases: []             # no d1_databases in the wrangler config'] : ['databases:']),
    ...databases.flatMap((d) => localDatabase(d, fromEnv)),
  ];
  if (typeof wrangler.main === 'string') {
    lines.push('worker:', `  main: ${yamlString(wrangler.main)}`);
    if (typeof wrangler.compatibility_date === 'string') lines.push(`  compatibility_date: ${yamlString(wrangler.compatibility_date)}`);
  }
  lines.push(...healthComment(), '');
  return lines.join('\n');
}

function localDatabase(d: WranglerD1Database, withId: boolean): string[] {
  const id = d.preview_database_id ?? d.database_id;
  return [
    `  - binding: ${d.binding}`,
    `    migrations: ${yamlString(d.migrations_dir ?? 'migrations')}`,
    ...(d.migrations_pattern ? [`    migrations_pattern: ${yamlString(d.migrations_pattern)}`] : []),
    ...(d.migrations_table ? [`    migrations_table: ${d.migrations_table}`] : []),
    ...(withId && id ? [`    database_id: ${yamlString(id)}`] : []),
  ];
}

function cloudflareYaml(wrangler: WranglerConfig, key: string, source: string): string {
  const block = wrangler.env?.[key];
  const dbs = block?.d1_databases ?? [];
  const lines = [
    `# Cloudflare environment "${key}" of ${source}: Worker and D1 ids are read from there, never copied.`,
    ...(dbs.length > 0
      ? ['# Its D1 databases:', ...dbs.map((d) => `#   ${d.binding}: ${d.database_name ?? d.database_id ?? '?'}, migrations in ${d.migrations_dir ?? 'migrations'}/${d.migrations_pattern ? ` (pattern ${d.migrations_pattern})` : ''}`)]
      : ['# It has no D1 databases.']),
    'target: cloudflare',
    'wrangler:',
    `  env: ${yamlString(key)}`,
    '# The URL relative health check URLs resolve against (your workers.dev or custom domain):',
    '# worker:',
    `#   url: https://${block?.name ?? `${wrangler.name ?? 'worker'}-${key}`}.<your-subdomain>.workers.dev`,
    ...healthComment(),
    '',
  ];
  return lines.join('\n');
}

/** Plain when YAML reads it back as the same string, else JSON-quoted (valid YAML). */
function yamlString(value: string): string {
  return /^[A-Za-z0-9_./-][A-Za-z0-9_./ -]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) && !/^[\d.]+$/.test(value) ? value : JSON.stringify(value);
}
