/**
 * A catalog of bad inputs, config and migrations: each a small mutation of BASE_FILES, run
 * through the real CLI: in-process (main() with captured output, test/helpers/in-process.ts) for
 * the cases refused before any environment opens, and as a spawned process for the ones run
 * against an environment already migrated. Every one must be refused with exit 2, pointing at the file (and line,
 * where there is one) with its problem code and a `fix:` line, and must leave the project's
 * state (.promote/, .wrangler/) exactly as it was.
 *
 * A third of the cases (rotating by index) also go through `validate` and `plan`. A handful run
 * against a dev environment that was already migrated with the good files, and also check that
 * its ledger and tables are unchanged: those keep the spawned bin, so the process exit code and
 * the refusal on a real environment stay covered end to end.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import {
  BASE_FILES,
  LOCAL_ENV,
  batchEnv,
  PIPELINE,
  cleanupProjects,
  ledgerNames,
  makeProject,
  runCli,
  stateFingerprint,
  tableNames,
  writeFiles,
  type CliResult,
} from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';

interface BadCase {
  name: string;
  /** Files to add or replace (text or raw bytes). */
  files?: Record<string, string | Uint8Array>;
  /** Files of BASE_FILES to delete. */
  remove?: string[];
  /** Expected problem code. */
  code: string;
  /** Expected file, relative to the project root. */
  file: string;
  /** Expected 1-based line; omitted when the problem has none. */
  line?: number;
  /** More text stderr must contain (did-you-mean, the other file of a pair...). */
  mentions?: string[];
  /** Text stderr must not contain (a secret, a wrong suggestion). */
  absent?: string[];
  /** Command instead of `migrate --env dev`; such cases only run that command. */
  args?: string[];
  /** Extra environment variables for the CLI. */
  env?: Record<string, string>;
  /** Run against a dev environment already migrated with BASE_FILES. */
  applied?: boolean;
  /** The CLI starts Miniflare for this one (preflight): state files may be written, the ledger must not. */
  startsMiniflare?: boolean;
  /** `validate` and `plan` do not see this problem (it is found by migrate's preflight). */
  migrateOnly?: boolean;
}

// ---------------------------------------------------------------- helpers

/** BASE_FILES[file] with `from` replaced by `to`; throws when `from` is not there, so a case cannot silently test nothing. */
function edit(file: string, from: string, to: string): Record<string, string> {
  const base = BASE_FILES[file];
  if (base === undefined || !base.includes(from)) throw new Error(`catalog: '${from}' not found in ${file}`);
  return { [file]: base.replace(from, to) };
}

const pipelineEdit = (from: string, to: string): Record<string, string> => edit('pipeline/pipeline.yaml', from, to);
const devEdit = (from: string, to: string): Record<string, string> => edit('environments/dev.yaml', from, to);

function bytes(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)));
  return new Uint8Array(Buffer.concat(chunks));
}

/** An INSERT of about 101 KB: one statement over D1's 100,000-byte limit. */
const HUGE_INSERT = `INSERT INTO users (email) VALUES ${Array.from({ length: 4000 }, (_, i) => `('user-number-${String(i).padStart(6, '0')}@example.com')`).join(', ')};\n`;

// Sanity checks of the base files the line numbers below rely on.
const PIPELINE_LINES = PIPELINE.split('\n');
const ENV_LINES = LOCAL_ENV.split('\n');

// ---------------------------------------------------------------- the catalog

const CASES: BadCase[] = [
  // ---- config: YAML syntax
  {
    name: 'YAML: a sequence item indented less than its siblings',
    files: pipelineEdit('  - environment: staging\n', ' - environment: staging\n'),
    code: 'E_CONFIG_YAML',
    file: 'pipeline/pipeline.yaml',
    line: 4,
  },
  {
    name: 'YAML: a key indented between its parent and its siblings',
    files: { 'environments/dev.yaml': `${LOCAL_ENV}   timeout: 5s\n` },
    code: 'E_CONFIG_YAML',
    file: 'environments/dev.yaml',
    line: 8,
  },
  {
    name: 'YAML: unclosed double quote (line that opened it)',
    files: devEdit('url: /health', 'url: "/health'),
    code: 'E_CONFIG_YAML',
    file: 'environments/dev.yaml',
    line: 5,
  },
  {
    name: "YAML: unclosed single quote on the first line",
    files: pipelineEdit('name: test', "name: 'test"),
    code: 'E_CONFIG_YAML',
    file: 'pipeline/pipeline.yaml',
    line: 1,
  },
  {
    name: 'YAML: tab used for indentation',
    files: edit('environments/staging.yaml', '  - binding: DB', '\t- binding: DB'),
    code: 'E_CONFIG_YAML',
    file: 'environments/staging.yaml',
    line: 3,
    mentions: ['tab'],
  },
  {
    name: 'YAML: duplicate key (reported at the second one)',
    files: pipelineEdit('rollback:\n', 'name: again\nrollback:\n'),
    code: 'E_CONFIG_DUPLICATE_KEY',
    file: 'pipeline/pipeline.yaml',
    line: 7,
    mentions: ["'name'", 'line 1'],
  },
  {
    name: 'YAML: an alias that refers to its own anchor (a cycle)',
    files: { 'pipeline/pipeline.yaml': 'name: test\nstages: &stages\n  - environment: dev\n    again: *stages\n' },
    code: 'E_CONFIG_YAML',
    file: 'pipeline/pipeline.yaml',
    line: 4,
  },
  {
    name: 'YAML: alias bomb (resource exhaustion)',
    files: {
      'pipeline/pipeline.yaml':
        'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n' +
        `d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n${PIPELINE}`,
    },
    code: 'E_CONFIG_YAML',
    file: 'pipeline/pipeline.yaml',
    line: 1,
  },
  {
    name: 'empty pipeline file',
    files: { 'pipeline/pipeline.yaml': '' },
    code: 'E_CONFIG_NOT_MAPPING',
    file: 'pipeline/pipeline.yaml',
    line: 1,
  },
  {
    name: 'top-level list instead of a mapping',
    files: { 'environments/staging.yaml': '- target: local\n- databases: []\n' },
    code: 'E_CONFIG_NOT_MAPPING',
    file: 'environments/staging.yaml',
    line: 1,
  },
  {
    name: 'binary environment file (NUL bytes)',
    files: { 'environments/dev.yaml': bytes([0x00, 0x01, 0x02, 0xff, 0x00], 'target: local\n') },
    code: 'E_CONFIG_ENCODING',
    file: 'environments/dev.yaml',
  },
  {
    name: 'non-UTF-8 (Latin-1) pipeline file',
    files: { 'pipeline/pipeline.yaml': bytes('name: caf', [0xe9], '\n', PIPELINE.slice(PIPELINE.indexOf('stages:'))) },
    code: 'E_CONFIG_ENCODING',
    file: 'pipeline/pipeline.yaml',
    // The bad byte is on line 1; the problem carries that line.
    line: 1,
    mentions: ['UTF-8'],
  },
  {
    name: 'UTF-16 environment file',
    files: { 'environments/production.yaml': bytes([0xff, 0xfe], ...[...LOCAL_ENV].map((c) => [c.charCodeAt(0), 0])) },
    code: 'E_CONFIG_ENCODING',
    file: 'environments/production.yaml',
    mentions: ['UTF-16'],
  },

  // ---- config: schema
  {
    name: 'wrong type: health[0].expect.status given as a string',
    files: devEdit('status: 200', 'status: "200"'),
    code: 'E_CONFIG_INVALID_TYPE',
    file: 'environments/dev.yaml',
    line: 7,
    mentions: ['health[0].expect.status'],
  },
  {
    name: 'unknown key in a stage, with did-you-mean',
    files: pipelineEdit('bookmark: true', 'bookmarkk: true'),
    code: 'E_CONFIG_UNKNOWN_KEY',
    file: 'pipeline/pipeline.yaml',
    line: 6,
    mentions: ["did you mean 'bookmark'"],
  },
  {
    name: 'unknown key in an environment, with did-you-mean',
    files: devEdit('health:', 'heath:'),
    code: 'E_CONFIG_UNKNOWN_KEY',
    file: 'environments/dev.yaml',
    line: 4,
    mentions: ["did you mean 'health'"],
  },
  {
    name: 'bad target, with did-you-mean',
    files: devEdit('target: local', 'target: locl'),
    code: 'E_CONFIG_INVALID_VALUE',
    file: 'environments/dev.yaml',
    line: 1,
    mentions: ["did you mean 'local'"],
    applied: true,
  },
  {
    name: 'missing target',
    files: devEdit('target: local\n', ''),
    code: 'E_CONFIG_MISSING_KEY',
    file: 'environments/dev.yaml',
    line: 1,
  },
  {
    name: 'stage without environment',
    files: pipelineEdit('  - environment: production\n    bookmark: true\n', '  - bookmark: true\n'),
    code: 'E_CONFIG_MISSING_KEY',
    file: 'pipeline/pipeline.yaml',
    line: 5,
  },
  {
    name: 'stage naming an environment that has no file',
    files: pipelineEdit('environment: staging', 'environment: stagng'),
    code: 'E_CONFIG_UNKNOWN_ENVIRONMENT',
    file: 'pipeline/pipeline.yaml',
    line: 4,
    mentions: ["did you mean 'staging'", 'environments/stagng.yaml'],
  },
  {
    name: 'the same environment twice in stages',
    files: pipelineEdit('environment: staging', 'environment: dev'),
    code: 'E_CONFIG_DUPLICATE_STAGE',
    file: 'pipeline/pipeline.yaml',
    line: 4,
    mentions: ['lines 3 and 4'],
  },
  {
    name: 'no stages at all',
    files: { 'pipeline/pipeline.yaml': 'name: test\nstages: []\n' },
    code: 'E_CONFIG_INVALID_VALUE',
    file: 'pipeline/pipeline.yaml',
    line: 2,
  },
  {
    name: 'rollback.database with a bad value, with did-you-mean',
    files: pipelineEdit('database: time-travel', 'database: time_travel'),
    code: 'E_CONFIG_INVALID_VALUE',
    file: 'pipeline/pipeline.yaml',
    line: 8,
    mentions: ["did you mean 'time-travel'"],
  },
  {
    name: 'migrations.allowGaps given as a string',
    files: { 'pipeline/pipeline.yaml': `${PIPELINE}migrations:\n  allowGaps: "yes"\n` },
    code: 'E_CONFIG_INVALID_TYPE',
    file: 'pipeline/pipeline.yaml',
    line: 10,
  },
  {
    name: 'binding that is not an identifier',
    files: devEdit('binding: DB', 'binding: my-db'),
    code: 'E_CONFIG_INVALID_VALUE',
    file: 'environments/dev.yaml',
    line: 3,
  },
  {
    name: 'health retries out of range',
    files: devEdit('      status: 200\n', '      status: 200\n    retries: 1000\n'),
    code: 'E_CONFIG_INVALID_VALUE',
    file: 'environments/dev.yaml',
    line: 8,
  },
  {
    name: 'unset ${VAR} without a default',
    files: pipelineEdit('name: test', 'name: ${PROMOTE_CATALOG_SURELY_UNSET_VAR}'),
    code: 'E_CONFIG_UNSET_VARIABLE',
    file: 'pipeline/pipeline.yaml',
    line: 1,
    mentions: ['PROMOTE_CATALOG_SURELY_UNSET_VAR'],
  },
  {
    name: 'malformed ${ interpolation',
    files: devEdit('url: /health', 'url: /health?x=${'),
    code: 'E_CONFIG_BAD_INTERPOLATION',
    file: 'environments/dev.yaml',
    line: 5,
  },
  {
    name: 'a set ${VAR} with a bad value: the value (a secret) is never echoed',
    files: devEdit('target: local', 'target: ${PROMOTE_CATALOG_TARGET}'),
    env: { PROMOTE_CATALOG_TARGET: 'sk-live-0123456789abcdef' },
    code: 'E_CONFIG_INVALID_VALUE',
    file: 'environments/dev.yaml',
    line: 1,
    mentions: ['${PROMOTE_CATALOG_TARGET}'],
    absent: ['sk-live-0123456789abcdef'],
  },

  // ---- config: files
  {
    name: 'pipeline.yaml missing',
    remove: ['pipeline/pipeline.yaml'],
    code: 'E_CONFIG_NO_PIPELINE',
    file: 'pipeline/pipeline.yaml',
  },
  {
    name: 'pipeline.yml instead of pipeline.yaml',
    remove: ['pipeline/pipeline.yaml'],
    files: { 'pipeline/pipeline.yml': PIPELINE },
    code: 'E_CONFIG_YML_EXTENSION',
    file: 'pipeline/pipeline.yml',
    mentions: ['pipeline/pipeline.yaml'],
  },
  {
    name: 'environments/*.yml extension',
    remove: ['environments/dev.yaml'],
    files: { 'environments/dev.yml': LOCAL_ENV },
    code: 'E_CONFIG_YML_EXTENSION',
    file: 'environments/dev.yml',
    mentions: ['environments/dev.yaml'],
  },
  {
    name: 'invalid environment file name',
    files: { 'environments/QA Env.yaml': LOCAL_ENV },
    code: 'E_CONFIG_ENVIRONMENT_NAME',
    file: 'environments/QA Env.yaml',
  },

  // ---- migrations: files and names
  {
    name: 'duplicate migration numbers (both files named)',
    files: { 'migrations/0002_other.sql': 'CREATE TABLE other (id INTEGER PRIMARY KEY);\n' },
    code: 'E_DUPLICATE_NUMBER',
    file: 'migrations/0002_notes.sql',
    mentions: ['migrations/0002_other.sql', '0003_other.sql'],
    applied: true,
  },
  {
    name: 'numbering gap',
    files: { 'migrations/0004_later.sql': 'CREATE TABLE later (id INTEGER PRIMARY KEY);\n' },
    code: 'E_NUMBERING_GAP',
    file: 'migrations/0004_later.sql',
    mentions: ['0003'],
  },
  {
    name: 'empty migration file',
    files: { 'migrations/0003_empty.sql': '' },
    code: 'E_EMPTY_FILE',
    file: 'migrations/0003_empty.sql',
  },
  {
    name: 'comment-only migration file',
    files: { 'migrations/0003_todo.sql': '-- TODO: add tags\n/* later,\n   maybe */\n' },
    code: 'E_EMPTY_FILE',
    file: 'migrations/0003_todo.sql',
  },
  {
    name: 'bad migration file name (with a space)',
    files: { 'migrations/0003_add tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n' },
    code: 'E_BAD_MIGRATION_NAME',
    file: 'migrations/0003_add tags.sql',
    mentions: ['0003_add_tags.sql'],
  },
  {
    name: 'rollback without its migration (rollback/ folder)',
    files: { 'migrations/rollback/0007_gone.rollback.sql': 'DROP TABLE gone;\n' },
    code: 'E_ORPHAN_ROLLBACK',
    file: 'migrations/rollback/0007_gone.rollback.sql',
  },
  {
    name: 'rollback whose slug matches no migration of that number',
    files: { 'migrations/rollback/0002_note.rollback.sql': 'DROP TABLE notes;\n' },
    code: 'E_ORPHAN_ROLLBACK',
    file: 'migrations/rollback/0002_note.rollback.sql',
    mentions: ['0002_notes.rollback.sql'],
  },
  {
    name: 'forward migration inside the rollback folder',
    files: { 'migrations/rollback/0003_tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n' },
    code: 'E_FORWARD_IN_ROLLBACK_DIR',
    file: 'migrations/rollback/0003_tags.sql',
  },
  {
    name: 'invalid UTF-8 in a migration (line of the bad byte)',
    files: {
      'migrations/0003_latin1.sql': bytes("CREATE TABLE cafes (name TEXT);\nINSERT INTO cafes VALUES ('caf", [0xe9], "');\n"),
    },
    code: 'E_INVALID_UTF8',
    file: 'migrations/0003_latin1.sql',
    line: 2,
  },

  // ---- migrations: statements D1 rejects
  {
    name: 'BEGIN TRANSACTION',
    files: { 'migrations/0003_tx.sql': '-- wrapped by hand\nBEGIN TRANSACTION;\nCREATE TABLE tags (id INTEGER PRIMARY KEY);\n' },
    code: 'E_TRANSACTION_STATEMENT',
    file: 'migrations/0003_tx.sql',
    line: 2,
    applied: true,
  },
  {
    name: 'COMMIT',
    files: { 'migrations/0003_commit.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n\nCOMMIT;\n' },
    code: 'E_TRANSACTION_STATEMENT',
    file: 'migrations/0003_commit.sql',
    line: 3,
  },
  {
    name: 'SAVEPOINT',
    files: { 'migrations/0003_savepoint.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\nSAVEPOINT before_seed;\n' },
    code: 'E_TRANSACTION_STATEMENT',
    file: 'migrations/0003_savepoint.sql',
    line: 2,
  },
  {
    name: 'BEGIN in a rollback file',
    files: { 'migrations/rollback/0002_notes.rollback.sql': 'DROP INDEX idx_notes_user;\nBEGIN;\nDROP TABLE notes;\n' },
    code: 'E_TRANSACTION_STATEMENT',
    file: 'migrations/rollback/0002_notes.rollback.sql',
    line: 2,
  },
  {
    name: 'ATTACH DATABASE',
    files: { 'migrations/0003_attach.sql': "CREATE TABLE tags (id INTEGER PRIMARY KEY);\nATTACH DATABASE 'other.db' AS other;\n" },
    code: 'E_ATTACH',
    file: 'migrations/0003_attach.sql',
    line: 2,
  },
  {
    name: 'PRAGMA journal_mode',
    files: { 'migrations/0003_wal.sql': 'PRAGMA journal_mode = WAL;\nCREATE TABLE tags (id INTEGER PRIMARY KEY);\n' },
    code: 'E_PRAGMA_NOT_ALLOWED',
    file: 'migrations/0003_wal.sql',
    line: 1,
    mentions: ['journal_mode'],
  },
  {
    name: 'a statement over 100,000 bytes',
    files: { 'migrations/0003_seed.sql': `-- seed\n\n${HUGE_INSERT}` },
    code: 'E_STATEMENT_TOO_LONG',
    file: 'migrations/0003_seed.sql',
    line: 3,
  },
  {
    name: 'CREATE VIRTUAL TABLE using fts4',
    files: { 'migrations/0003_search.sql': '-- full-text search\nCREATE VIRTUAL TABLE notes_fts USING fts4(body);\n' },
    code: 'E_VIRTUAL_TABLE_MODULE',
    file: 'migrations/0003_search.sql',
    line: 2,
    mentions: ['fts5'],
  },
  {
    name: 'a table named _cf_x (line of the name)',
    files: { 'migrations/0003_reserved.sql': 'CREATE TABLE\n  _cf_x (id INTEGER PRIMARY KEY);\n' },
    code: 'E_RESERVED_NAME',
    file: 'migrations/0003_reserved.sql',
    line: 2,
  },
  {
    name: 'a migration writing to d1_migrations',
    files: { 'migrations/0003_ledger.sql': "CREATE TABLE tags (id INTEGER PRIMARY KEY);\nINSERT INTO d1_migrations (name) VALUES ('0009_fake.sql');\n" },
    code: 'E_LEDGER_TABLE',
    file: 'migrations/0003_ledger.sql',
    line: 2,
    applied: true,
  },
  {
    name: 'a migration dropping d1_migrations',
    files: { 'migrations/0003_reset.sql': 'DROP TABLE IF EXISTS d1_migrations;\n' },
    code: 'E_LEDGER_TABLE',
    file: 'migrations/0003_reset.sql',
    line: 1,
  },
  {
    name: 'a trigger missing its END (incomplete statement)',
    files: {
      'migrations/0003_trigger.sql':
        'CREATE TABLE audit (msg TEXT);\nCREATE TRIGGER users_audit AFTER INSERT ON users BEGIN\n  INSERT INTO audit VALUES (NEW.email);\n',
    },
    code: 'E_INCOMPLETE_STATEMENT',
    file: 'migrations/0003_trigger.sql',
    line: 2,
  },
  {
    name: 'an unclosed string literal (incomplete statement)',
    files: { 'migrations/0003_quote.sql': "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO tags (name) VALUES ('oops);\n" },
    code: 'E_INCOMPLETE_STATEMENT',
    file: 'migrations/0003_quote.sql',
    line: 2,
  },

  // ---- preflight: a SQL error only the database finds (starts Miniflare)
  {
    name: 'preflight: a migration referencing a missing table',
    files: {
      'migrations/0003_broken.sql':
        '-- copies users into a table that was never created\nCREATE TABLE tags (id INTEGER PRIMARY KEY);\n\nINSERT INTO no_such_table (id) SELECT id FROM users;\n',
    },
    code: 'E_PREFLIGHT_SQL',
    file: 'migrations/0003_broken.sql',
    line: 4,
    mentions: ['no_such_table'],
    applied: true,
    startsMiniflare: true,
    migrateOnly: true,
  },

  // ---- command line
  {
    name: 'migrate --env nope (no suggestion)',
    args: ['migrate', '--env', 'nope'],
    code: 'E_UNKNOWN_ENVIRONMENT',
    file: 'environments/',
    mentions: ['nope', 'dev, production, staging'],
    absent: ['did you mean'],
  },
  {
    name: 'migrate --env stagin (did-you-mean)',
    args: ['migrate', '--env', 'stagin'],
    code: 'E_UNKNOWN_ENVIRONMENT',
    file: 'environments/',
    mentions: ["did you mean 'staging'"],
  },
];

// ---------------------------------------------------------------- assertions

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The problem's head line `file[:line] error CODE: ...` followed by its `    fix: ...` line. */
function expectProblem(expect: ExpectStatic, res: CliResult, c: BadCase, command: string): void {
  const context = `${command} for "${c.name}"\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`;
  expect(res.code, context).toBe(2);
  const where = c.line !== undefined ? `${c.file}:${c.line}` : c.file;
  expect(res.stderr, context).toContain(where);
  expect(res.stderr, context).toContain(c.code);
  const lines = res.stderr.split('\n');
  // YAML syntax errors also give a column: file:line:column
  const head = new RegExp(`^${escape(where)}(:\\d+)? error ${escape(c.code)}: \\S`);
  const at = lines.findIndex((l) => head.test(l));
  expect(at, `no line "${where} error ${c.code}: ..." in ${context}`).toBeGreaterThanOrEqual(0);
  for (const text of c.mentions ?? []) expect(res.stderr, context).toContain(text);
  for (const text of c.absent ?? []) {
    expect(res.stderr, context).not.toContain(text);
    expect(res.stdout, context).not.toContain(text);
  }
  // Soft, so a missing fix: line does not hide whether the state and ledger were left alone.
  expect.soft(lines[at + 1] ?? '', `no fix: line after the problem in ${context}`).toMatch(/^ {4}fix: \S/);
}

function commandsFor(c: BadCase, index: number): string[][] {
  if (c.args) return [c.args];
  const migrate = ['migrate', '--env', 'dev'];
  return index % 3 === 0 && !c.migrateOnly ? [migrate, ['validate'], ['plan']] : [migrate];
}

async function mutate(root: string, c: BadCase): Promise<void> {
  for (const path of c.remove ?? []) await rm(join(root, path));
  await writeFiles(root, c.files ?? {});
}

/**
 * ledgerNames() and tableNames() (the same queries) in one Miniflare start instead of three:
 * the ledger table is known to exist, since dev was migrated.
 */
async function ledgerAndTables(root: string): Promise<{ ledger: string[]; tables: string[] }> {
  const [tables, ledger] = await batchEnv(root, 'dev', [
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
    'SELECT name FROM d1_migrations ORDER BY id',
  ]);
  const names = (r: typeof tables): string[] => (r?.results ?? []).map((row) => String(row.name));
  return { ledger: names(ledger), tables: names(tables) };
}

// ---------------------------------------------------------------- the tests

afterAll(cleanupProjects);

describe('bad-input catalog', () => {
  it('has at least 30 cases, each a real change with a declared code and file', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    for (const c of CASES) {
      expect(c.files !== undefined || c.remove !== undefined || c.args !== undefined, c.name).toBe(true);
      expect(c.code, c.name).toMatch(/^E_[A-Z0-9_]+$/);
      expect(c.file, c.name).not.toBe('');
    }
    // The line numbers of the catalog assume these base files.
    expect(PIPELINE_LINES[5]).toBe('    bookmark: true');
    expect(PIPELINE_LINES[7]).toBe('  database: time-travel');
    expect(ENV_LINES[6]).toBe('      status: 200');
    expect(Buffer.byteLength(HUGE_INSERT)).toBeGreaterThan(100_000);
  });

  const fresh = CASES.map((c, index) => ({ c, index })).filter(({ c }) => !c.applied);
  describe.concurrent('on a fresh project (in-process): exit 2, file:line, code, fix, nothing touched', () => {
    for (const { c, index } of fresh) {
      const commands = commandsFor(c, index);
      it(`${c.name} [${commands.map((a) => a[0]).join(', ')}]`, async ({ expect }) => {
        const root = await makeProject();
        await mutate(root, c);
        const before = stateFingerprint(root);
        for (const args of commands) {
          const res = await runInProcess([...args, '--cwd', root], c.env ? { env: c.env } : {});
          expectProblem(expect, res, c, args.join(' '));
          expect(stateFingerprint(root), `${args.join(' ')} touched the state for "${c.name}"`).toBe(before);
        }
        // Refused before any environment was created.
        expect(existsSync(join(root, '.promote')), c.name).toBe(false);
        expect(existsSync(join(root, '.wrangler')), c.name).toBe(false);
      });
    }
  });

  describe('on a dev environment already migrated (spawned): also the ledger and tables are unchanged', () => {
    let template: string;
    let ledger: string[];
    let tables: string[];
    const copies: string[] = [];

    beforeAll(async () => {
      template = await makeProject();
      const res = await runCli(['migrate', '--env', 'dev', '--cwd', template]);
      expect(res.code, res.stderr).toBe(0);
      ledger = await ledgerNames(template, 'dev');
      tables = await tableNames(template, 'dev');
      expect(ledger).toEqual(['0001_init.sql', '0002_notes.sql']);
      expect(tables).toEqual(expect.arrayContaining(['users', 'notes', 'd1_migrations']));
      // The per-case check reads both in one Miniflare start; it must agree with the helpers.
      expect(await ledgerAndTables(template)).toEqual({ ledger, tables });
    });
    afterAll(async () => {
      await Promise.all(copies.map((d) => rm(d, { recursive: true, force: true })));
    });

    const applied = CASES.map((c, index) => ({ c, index })).filter(({ c }) => c.applied);
    for (const { c, index } of applied) {
      const commands = commandsFor(c, index);
      it(`${c.name} [${commands.map((a) => a[0]).join(', ')}]`, async ({ expect }) => {
        const root = await mkdtemp(join(tmpdir(), 'promote-catalog-'));
        copies.push(root);
        await cp(template, root, { recursive: true });
        await mutate(root, c);
        const before = stateFingerprint(root);
        for (const args of commands) {
          const res = await runCli([...args, '--cwd', root], c.env ? { env: c.env } : {});
          expectProblem(expect, res, c, args.join(' '));
          // Preflight runs on a scratch database Miniflare persists beside the real one; only
          // the cases that never start Miniflare can promise byte-identical state.
          if (!c.startsMiniflare) expect(stateFingerprint(root), `${args.join(' ')} touched the state for "${c.name}"`).toBe(before);
          expect(res.stdout, c.name).not.toMatch(/✓|migrated dev/);
        }
        // The query helpers read environments/dev.yaml themselves: give them the good one back.
        await writeFiles(root, { 'environments/dev.yaml': LOCAL_ENV });
        expect(await ledgerAndTables(root), c.name).toEqual({ ledger, tables });
      });
    }
  });
});
