/**
 * The bad-input catalog through EVERY command, not only validate/migrate/plan: a representative set
 * of bad projects (YAML syntax, wrong types, unknown keys, missing files and folders, folders and
 * dangling symlinks where files belong, binary bytes, 20 MB files, symlink loops, names with spaces
 * and unicode) x every command that reads the project. Each must exit 2 at once with a
 * `file[:line] error CODE: ...` line naming the file and a `fix:` line, and touch nothing: the
 * project's state (.promote/, .wrangler/) is never created. `serve` in particular must exit 2
 * instead of serving (it runs under a timeout). All in-process (main() with captured output):
 * every case ends before any environment opens, so none needs a process of its own.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { BASE_FILES, LOCAL_ENV, PIPELINE, cleanupProjects, makeProject, stateFingerprint, type CliResult } from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';

interface Case {
  name: string;
  files?: Record<string, string | Uint8Array>;
  remove?: string[];
  /** File system changes writeFiles cannot make: folders, symlinks. */
  setup?: (root: string) => Promise<void>;
  code: string;
  file: string;
  line?: number;
  mentions?: string[];
  /** The case writes a 20 MB file: it is also timed. */
  huge?: boolean;
}

const COMMANDS: string[][] = [
  ['--to', 'production'],
  ['--to', 'production', '--dry-run'],
  ['status'],
  ['plan'],
  ['resume'],
  ['rollback', '--env', 'dev'],
  ['rollback', '--env', 'dev', '--to', '0001'],
  ['serve', '--env', 'dev'],
  ['graph'],
  ['ui', '--port', '0'],
  ['migrate', '--env', 'dev'],
  ['migrate', '--env', 'dev', '--to', '0001'],
  ['baseline', '--env', 'dev'],
  ['backup', '--env', 'dev'],
  ['validate'],
  ['repair', '--all'],
];

const MB20 = 20 * 1024 * 1024;
const replaceIn = (file: string, from: string, to: string): Record<string, string> => {
  if (!BASE_FILES[file]!.includes(from)) throw new Error(`'${from}' not in ${file}`);
  return { [file]: BASE_FILES[file]!.replace(from, to) };
};
const asFolder = (path: string) => async (root: string) => {
  await rm(join(root, path), { force: true });
  await mkdir(join(root, path), { recursive: true });
  await writeFile(join(root, path, 'inside.txt'), 'a folder where a file belongs\n');
};
const link = (target: string, path: string) => async (root: string) => {
  await rm(join(root, path), { force: true, recursive: true });
  await symlink(target, join(root, path));
};

/** A 20 MB YAML file that is valid YAML all the way (a long list of vars). */
function hugeYaml(): string {
  const line = '  - url: /health\n    expect:\n      status: 200\n';
  return LOCAL_ENV.replace('health:\n', `health:\n${line.repeat(Math.ceil(MB20 / line.length))}`);
}
/** A 20 MB migration of small, valid statements. */
const hugeMigration = (): string => "INSERT INTO users (email) VALUES ('a@example.com');\n".repeat(Math.ceil(MB20 / 52));

const CASES: Case[] = [
  // malformed YAML, wrong types, unknown keys
  { name: 'YAML: unclosed double quote', files: replaceIn('environments/dev.yaml', 'url: /health', 'url: "/health'), code: 'E_CONFIG_YAML', file: 'environments/dev.yaml', line: 5 },
  { name: 'YAML: sequence item indented less than its siblings', files: replaceIn('pipeline/pipeline.yaml', '  - environment: staging\n', ' - environment: staging\n'), code: 'E_CONFIG_YAML', file: 'pipeline/pipeline.yaml', line: 4 },
  { name: 'wrong type: stages is a string', files: { 'pipeline/pipeline.yaml': 'name: test\nstages: dev\nrollback:\n  database: time-travel\n' }, code: 'E_CONFIG_INVALID_TYPE', file: 'pipeline/pipeline.yaml', line: 2 },
  { name: 'wrong type: expect.status as a string', files: replaceIn('environments/dev.yaml', 'status: 200', 'status: "200"'), code: 'E_CONFIG_INVALID_TYPE', file: 'environments/dev.yaml', line: 7 },
  { name: 'unknown key in a stage', files: replaceIn('pipeline/pipeline.yaml', 'bookmark: true', 'bookmarkk: true'), code: 'E_CONFIG_UNKNOWN_KEY', file: 'pipeline/pipeline.yaml', line: 6, mentions: ["did you mean 'bookmark'"] },
  // missing files and folders
  { name: 'no pipeline/ folder', remove: ['pipeline'], code: 'E_CONFIG_NO_PIPELINE', file: 'pipeline/pipeline.yaml' },
  { name: 'no environments/ folder', remove: ['environments'], code: 'E_CONFIG_UNKNOWN_ENVIRONMENT', file: 'pipeline/pipeline.yaml', line: 3, mentions: ['environments/dev.yaml'] },
  { name: "a stage whose environment file is missing", remove: ['environments/staging.yaml'], code: 'E_CONFIG_UNKNOWN_ENVIRONMENT', file: 'pipeline/pipeline.yaml', line: 4, mentions: ['environments/staging.yaml'] },
  // unreadable: a folder or a dangling symlink where a file belongs
  { name: 'environments/dev.yaml is a folder', setup: asFolder('environments/dev.yaml'), code: 'E_CONFIG_READ', file: 'environments/dev.yaml', mentions: ['EISDIR', 'is a folder'] },
  { name: 'pipeline/pipeline.yaml is a folder', setup: asFolder('pipeline/pipeline.yaml'), code: 'E_CONFIG_READ', file: 'pipeline/pipeline.yaml', mentions: ['is a folder'] },
  { name: 'migrations/0003_x.sql is a folder', setup: asFolder('migrations/0003_x.sql'), code: 'E_UNREADABLE_FILE', file: 'migrations/0003_x.sql', mentions: ['directory'] },
  { name: 'environments/production.yaml is a dangling symlink', setup: link('nowhere.yaml', 'environments/production.yaml'), code: 'E_CONFIG_READ', file: 'environments/production.yaml', mentions: ['ENOENT'] },
  { name: 'migrations/0003_gone.sql is a dangling symlink', setup: link('nowhere.sql', 'migrations/0003_gone.sql'), code: 'E_UNREADABLE_FILE', file: 'migrations/0003_gone.sql', mentions: ['ENOENT'] },
  // binary
  { name: 'random bytes as environments/dev.yaml', files: { 'environments/dev.yaml': new Uint8Array(Buffer.concat([Buffer.from([0xc3, 0x28]), randomBytes(4096)])) }, code: 'E_CONFIG_ENCODING', file: 'environments/dev.yaml' },
  { name: 'NUL bytes in pipeline.yaml', files: { 'pipeline/pipeline.yaml': new Uint8Array(Buffer.concat([Buffer.from(PIPELINE), Buffer.from([0, 0, 0, 0])])) }, code: 'E_CONFIG_ENCODING', file: 'pipeline/pipeline.yaml', mentions: ['NUL'] },
  { name: 'random bytes as a migration', files: { 'migrations/0003_blob.sql': new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe, 0xfd]), randomBytes(4096)])) }, code: 'E_INVALID_UTF8', file: 'migrations/0003_blob.sql' },
  { name: 'NUL bytes in a migration that is otherwise SQL', files: { 'migrations/0003_nul.sql': new Uint8Array(Buffer.concat([Buffer.from('CREATE TABLE tags (id INTEGER PRIMARY KEY);\n'), Buffer.from([0, 0, 0]), Buffer.from('\n')])) }, code: 'E_BINARY_FILE', file: 'migrations/0003_nul.sql', line: 2 },
  // huge
  { name: 'a 20 MB environment file', files: { 'environments/staging.yaml': hugeYaml() }, code: 'E_CONFIG_TOO_LARGE', file: 'environments/staging.yaml', mentions: ['MB'], huge: true },
  { name: 'a 20 MB migration', files: { 'migrations/0003_seed.sql': hugeMigration() }, code: 'E_FILE_TOO_LARGE', file: 'migrations/0003_seed.sql', mentions: ['MB'], huge: true },
  // symlink loops
  { name: 'a migration symlink pointing at itself', setup: link('0003_loop.sql', 'migrations/0003_loop.sql'), code: 'E_UNREADABLE_FILE', file: 'migrations/0003_loop.sql', mentions: ['ELOOP'] },
  { name: 'two migration symlinks pointing at each other', setup: async (root) => { await link('0004_b.sql', 'migrations/0003_a.sql')(root); await link('0003_a.sql', 'migrations/0004_b.sql')(root); }, code: 'E_UNREADABLE_FILE', file: 'migrations/0003_a.sql', mentions: ['ELOOP', 'migrations/0004_b.sql'] },
  { name: 'a directory symlink loop named like a migration (0003_dir.sql -> .)', setup: link('.', 'migrations/0003_dir.sql'), code: 'E_UNREADABLE_FILE', file: 'migrations/0003_dir.sql', mentions: ['directory'] },
  { name: 'migrations/ is a symlink to itself', setup: link('migrations', 'migrations'), code: 'E_UNREADABLE_DIR', file: 'migrations', mentions: ['ELOOP'] },
  { name: 'an environment file symlinked to itself', setup: link('dev.yaml', 'environments/dev.yaml'), code: 'E_CONFIG_READ', file: 'environments/dev.yaml', mentions: ['ELOOP'] },
  // names with spaces and unicode
  { name: 'migration 0003_ünïcode name.sql', files: { 'migrations/0003_ünïcode name.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n' }, code: 'E_BAD_MIGRATION_NAME', file: 'migrations/0003_ünïcode name.sql' },
  { name: 'environment file environments/stäging.yaml', files: { 'environments/stäging.yaml': LOCAL_ENV }, code: 'E_CONFIG_ENVIRONMENT_NAME', file: 'environments/stäging.yaml' },
  // two from the original catalog, for every command too
  { name: 'duplicate migration numbers', files: { 'migrations/0002_other.sql': 'CREATE TABLE other (id INTEGER PRIMARY KEY);\n' }, code: 'E_DUPLICATE_NUMBER', file: 'migrations/0002_notes.sql', mentions: ['migrations/0002_other.sql'] },
  { name: 'BEGIN TRANSACTION in a migration', files: { 'migrations/0003_tx.sql': 'BEGIN TRANSACTION;\nCREATE TABLE tags (id INTEGER PRIMARY KEY);\n' }, code: 'E_TRANSACTION_STATEMENT', file: 'migrations/0003_tx.sql', line: 1 },
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expectRefused(expect: ExpectStatic, res: CliResult, c: Case, command: string): void {
  const context = `promote ${command} for "${c.name}"\nexit ${res.code}\nstdout:\n${res.stdout.slice(0, 2000)}\nstderr:\n${res.stderr.slice(0, 2000)}`;
  expect(res.code, context).toBe(2);
  // YAML syntax errors also give a column: file:line:column
  const where = c.line !== undefined ? `${escape(`${c.file}:${c.line}`)}(:\\d+)?` : `${escape(c.file)}(:\\d+){0,2}`;
  const lines = res.stderr.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^${where} error ${escape(c.code)}: \\S`).test(l));
  expect(at, `no line "${c.file}${c.line ? `:${c.line}` : ''} error ${c.code}: ..." in ${context}`).toBeGreaterThanOrEqual(0);
  expect(lines[at + 1] ?? '', `no fix: line in ${context}`).toMatch(/^ {4}fix: \S/);
  for (const m of c.mentions ?? []) expect(res.stderr, context).toContain(m);
  // a problem is reported once, not as an internal error
  expect(res.stderr, context).not.toContain('internal error');
}

afterAll(cleanupProjects);

describe('bad input x every command: exit 2 naming the file, nothing touched', () => {
  it('covers every command that reads the project', () => {
    expect(COMMANDS.map((c) => c[0])).toEqual(['--to', '--to', 'status', 'plan', 'resume', 'rollback', 'rollback', 'serve', 'graph', 'ui', 'migrate', 'migrate', 'baseline', 'backup', 'validate', 'repair']);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  describe.concurrent('cases', () => {
    for (const c of CASES) {
      // Every command for every case: in-process a run costs milliseconds, not the 0.4 s of CPU of a spawned one.
      const commands = COMMANDS;
      it(`${c.name} [${commands.map((a) => (a[0] === '--to' ? a.join(' ') : a[0])).join(', ')}]`, async ({ expect }) => {
        const root = await makeProject();
        for (const path of c.remove ?? []) await rm(join(root, path), { recursive: true });
        for (const [path, content] of Object.entries(c.files ?? {})) {
          await mkdir(join(root, path, '..'), { recursive: true });
          await writeFile(join(root, path), content);
        }
        await c.setup?.(root);
        const before = stateFingerprint(root);
        const timings: string[] = [];
        for (const args of commands) {
          const started = Date.now();
          // serve and ui would run until Ctrl-C: give them 20 s, and a run that had to be stopped fails below (exit -1)
          const res = await runWithTimeout([...args, '--cwd', root], 20_000);
          const ms = Date.now() - started;
          timings.push(`${args[0] === '--to' ? args.join(' ') : args[0]} ${ms} ms`);
          expectRefused(expect, res, c, args.join(' '));
          if (c.huge) expect(ms, `${args.join(' ')} on a 20 MB file must fail fast`).toBeLessThan(10_000);
          expect(stateFingerprint(root), `${args.join(' ')} touched the state`).toBe(before);
          expect(existsSync(join(root, '.promote')), `${args.join(' ')} created .promote`).toBe(false);
          expect(existsSync(join(root, '.wrangler')), `${args.join(' ')} created .wrangler`).toBe(false);
        }
        if (c.huge) console.log(`${c.name}: ${timings.join(', ')}`);
      }, 300_000);
    }
  });
});

/** runInProcess, but a command still running after `ms` is reported as exit -1 (and left to the worker's end). */
async function runWithTimeout(args: string[], ms: number): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CliResult>((resolve) => {
    timer = setTimeout(() => resolve({ code: -1, stdout: '', stderr: `still running after ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([runInProcess(args), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
