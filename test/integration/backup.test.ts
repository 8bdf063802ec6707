/**
 * `promote backup` and `promote backup verify` on the local target (Miniflare's D1), and a
 * stage with `backup: true`: the backup is taken, verified, named in the summary and the
 * journal, and a corrupted copy (a row removed, a table dropped) fails naming the table.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';
import { BASE_FILES, PIPELINE, cleanupProjects, makeProject, queryEnv, runCli, writeFiles } from '../helpers/project.js';
import { lastJson, promotionFiles } from '../helpers/promotion-project.js';

afterAll(cleanupProjects);

const cli = (root: string, ...args: string[]) => runInProcess([...args, '--cwd', root]);

/** The file without the statement that starts with `prefix` (an INSERT spans one line here). */
const without = (text: string, test: (line: string) => boolean) => text.split('\n').filter((l) => !test(l)).join('\n');

describe('promote backup (local)', () => {
  it('takes a verified dump with the ledger inside; verify fails on a corrupted copy naming the table', { timeout: 120_000 }, async () => {
    const root = await makeProject(BASE_FILES);
    expect((await cli(root, 'migrate', '--env', 'dev')).code).toBe(0);
    await queryEnv(root, 'dev', "INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x')");
    await queryEnv(root, 'dev', "INSERT INTO notes (user_id, body) VALUES (1, 'one'), (2, 'two; and '' a quote')");

    const taken = await cli(root, 'backup', '--env', 'dev', '--json');
    expect(taken.code, taken.stderr).toBe(0);
    const report = lastJson(taken.stdout) as { ok: boolean; runId: string; files: { binding: string; file: string; rows: Record<string, number> }[] };
    expect(report.ok).toBe(true);
    const file = report.files[0]!.file;
    expect(file).toBe(join(root, '.promote', 'backups', 'dev', `${report.runId}-DB.sql`));
    expect(report.files[0]!.rows).toEqual({ d1_migrations: 2, promote_migrations: 2, users: 2, notes: 2 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^-- promote-backup: \{"format":1,"environment":"dev","binding":"DB"/);
    expect(text).toMatch(/^INSERT INTO "d1_migrations" .*'0002_notes\.sql'/m);

    // against the source (same schema, same rows) and against its own header
    const withSource = await cli(root, 'backup', 'verify', file, '--env', 'dev');
    expect(withSource.code, withSource.stderr).toBe(0);
    expect(withSource.stdout).toContain('restores to the same schema and row counts as dev/DB as it is now');
    const alone = await cli(root, 'backup', 'verify', file, '--json');
    expect(alone.code, alone.stderr).toBe(0);
    expect(lastJson(alone.stdout)).toMatchObject({ ok: true, comparedWith: 'header', problems: [] });

    // corrupted: one row removed
    const rowCut = join(root, 'row-cut.sql');
    writeFileSync(rowCut, without(text, (l) => l.startsWith('INSERT INTO "notes"') && l.includes("'one'")));
    const lostRow = await cli(root, 'backup', 'verify', rowCut);
    expect(lostRow.code).toBe(1);
    expect(lostRow.stderr).toContain('table notes: 1 row(s) in the dump, 2 in the header');

    // corrupted: a table dropped (its CREATE, its index and its INSERTs)
    const tableCut = join(root, 'table-cut.sql');
    writeFileSync(tableCut, without(text, (l) => /^(CREATE TABLE notes|CREATE INDEX idx_notes_user|INSERT INTO "notes")/.test(l)));
    const lostTable = await cli(root, 'backup', 'verify', tableCut, '--env', 'dev');
    expect(lostTable.code).toBe(1);
    expect(lostTable.stderr).toContain('table notes: in the source (2 row(s) there), not in the dump');
    expect(lostTable.stderr).toContain('index idx_notes_user: in the source, not in the dump');

    // the source moved on (same schema, one more row): compared with the source, the dump is behind
    await queryEnv(root, 'dev', "INSERT INTO notes (user_id, body) VALUES (1, 'three')");
    const behind = await cli(root, 'backup', 'verify', file, '--env', 'dev');
    expect(behind.code).toBe(1);
    expect(behind.stderr).toContain('table notes: 2 row(s) in the dump, 3 in the source');
    // the schema moved on (a migration): the header's numbers are what the dump is checked against
    await writeFiles(root, { 'migrations/0003_tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n' });
    expect((await cli(root, 'migrate', '--env', 'dev')).code).toBe(0);
    const migrated = await cli(root, 'backup', 'verify', file, '--env', 'dev');
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain('the counts in its header');
  });

  it('exit 2 for a file that is not a promote backup, saying what it is and how to make one', async () => {
    const root = await makeProject(BASE_FILES);
    writeFileSync(join(root, 'export.sql'), 'PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n');
    const res = await cli(root, 'backup', 'verify', 'export.sql');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/error E_NOT_A_BACKUP: .*export\.sql is not a promote backup: it is SQL without a promote-backup header/);
    expect(res.stderr).toContain('fix: make one with: promote backup --env <environment>');
    const missing = await cli(root, 'backup', 'verify', 'nowhere.sql');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    // an environment nothing ever ran in: nothing to back up, and nothing created
    const fresh = await cli(root, 'backup', '--env', 'staging');
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toContain('E_NOTHING_TO_BACK_UP');
    expect(existsSync(join(root, '.promote', 'envs', 'staging'))).toBe(false);
  });

  it('--out: a file for one database; refuses to overwrite', { timeout: 60_000 }, async () => {
    const root = await makeProject(BASE_FILES);
    expect((await cli(root, 'migrate', '--env', 'dev')).code).toBe(0);
    const res = await cli(root, 'backup', '--env', 'dev', '--out', 'dev.sql');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`-> ${join(root, 'dev.sql')}`);
    expect(statSync(join(root, 'dev.sql')).mode & 0o777).toBe(0o600);
    const again = await cli(root, 'backup', '--env', 'dev', '--out', 'dev.sql');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('the file exists');
  });
});

describe('promote backup --out with several databases', () => {
  it('wants a folder (one file each) or --database; a file name alone would be ambiguous', { timeout: 60_000 }, async () => {
    const twoDatabases = 'target: local\ndatabases:\n  - binding: DB\n  - binding: AUTH\n';
    const root = await makeProject({ ...BASE_FILES, 'environments/dev.yaml': twoDatabases });
    expect((await cli(root, 'migrate', '--env', 'dev')).code).toBe(0);
    const ambiguous = await cli(root, 'backup', '--env', 'dev', '--out', 'dev.sql');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('dev has 2 databases (DB, AUTH); pass a folder (--out dev/) for one file each, or --database <binding> for one');
    const folder = await cli(root, 'backup', '--env', 'dev', '--out', 'saved/', '--json');
    expect(folder.code, folder.stderr).toBe(0);
    const files = (lastJson(folder.stdout) as { runId: string; files: { binding: string; file: string }[] });
    expect(files.files.map((f) => f.file)).toEqual(['DB', 'AUTH'].map((b) => join(root, 'saved', `dev-${b}-${files.runId}.sql`)));
    const one = await cli(root, 'backup', '--env', 'dev', '--database', 'AUTH', '--out', 'auth.sql');
    expect(one.code, one.stderr).toBe(0);
    expect(readFileSync(join(root, 'auth.sql'), 'utf8').split('\n')[0]).toContain('"binding":"AUTH"');
  });
});

describe('a stage with backup: true', () => {
  it('takes and verifies a backup before it migrates; the summary and the journal name the file', { timeout: 300_000 }, async () => {
    const pipeline = PIPELINE.replace('    bookmark: true\n', '    bookmark: true\n    backup: true\n');
    const root = await makeProject({ ...promotionFiles(2), 'pipeline/pipeline.yaml': pipeline });
    const first = await runCli(['--to', 'production', '--json', '--cwd', root]);
    expect(first.code, first.stderr).toBe(0);
    await queryEnv(root, 'production', "INSERT INTO t1 (name) VALUES ('a production row')");
    await writeFiles(root, { 'migrations/0003_t3.sql': 'CREATE TABLE t3 (id INTEGER PRIMARY KEY);\n' });

    const plain = await runCli(['--to', 'production', '--cwd', root]);
    expect(plain.code, plain.stderr + plain.stdout).toBe(0);
    const summaryLine = plain.stdout.split('\n').find((l) => l.includes('summary:'))!;
    const file = /production backup (\S+\.sql)/.exec(summaryLine)?.[1];
    expect(file, summaryLine).toBeDefined();
    expect(plain.stdout).toMatch(/production\s+backup\s+.*verified backup .*\.sql/);
    const runId = /(r-[0-9TZ]+-[0-9a-f]+)-DB\.sql$/.exec(file!)![1]!;
    const journal = readFileSync(join(root, '.promote', 'runs', runId, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = journal.filter((e) => e.stage === 'production').map((e) => `${String(e.type)} ${String(e.step ?? '')}`);
    // before the bookmark and the migration
    expect(steps.indexOf('step.succeeded backup')).toBeGreaterThan(steps.indexOf('step.succeeded lock'));
    expect(steps.indexOf('step.started migrate')).toBeGreaterThan(steps.indexOf('step.succeeded backup'));
    expect(journal.find((e) => e.type === 'step.succeeded' && e.step === 'backup')).toMatchObject({ detail: { backups: [file] } });
    expect((journal.find((e) => e.type === 'summary') as { stages: { environment: string; backups?: string[] }[] }).stages.find((s) => s.environment === 'production')).toMatchObject({ backups: [file] });

    // the file holds production as it was before 0003: the row, and no t3
    const text = readFileSync(file!, 'utf8');
    expect(text).toContain('a production row');
    expect(text).not.toContain('CREATE TABLE t3');
    const verified = await runInProcess(['backup', 'verify', file!, '--cwd', root]);
    expect(verified.code, verified.stderr).toBe(0);
    // dev and staging have no backup: true
    expect(steps.length).toBeGreaterThan(0);
    expect(journal.some((e) => e.stage === 'staging' && e.step === 'backup')).toBe(false);
  });
});
