/**
 * Backups on target: cloudflare, against the fake Cloudflare API (D1 backed by Miniflare, its
 * export API with the polling protocol) and the real wrangler for the deploy: `promote backup`
 * exports each database and heads the file with the fingerprint and row counts read from the same
 * database; `promote backup verify` restores it on a local scratch database; a stage with
 * `backup: true` takes and verifies one before it migrates and names it in the summary.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../fake-cloudflare/server.js';
import { cloudflareProjectFiles, promoteCloudflare, startCloudflareWorld, type CloudflareWorld } from '../helpers/cloudflare-project.js';
import { cleanupProjects, makeProject, writeFiles } from '../helpers/project.js';
import { lastJson } from '../helpers/promotion-project.js';

let world: CloudflareWorld;
let fake: FakeCloudflare;
let healthBase: string;
let uuids: Record<string, string>;

beforeAll(async () => {
  world = await startCloudflareWorld();
  ({ fake, healthBase, uuids } = world);
}, 60_000);

afterAll(async () => {
  await world?.close();
  await cleanupProjects();
});

const MIGRATIONS = {
  'migrations/0001_users.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);\n',
  'migrations/0002_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);\nCREATE INDEX notes_user ON notes(user_id);\n',
};
const PIPELINE = 'name: cloud\nstages:\n  - environment: production\n    bookmark: true\n    backup: true\n';

const promote = (root: string, args: string[]) => promoteCloudflare({ fake, healthBase }, root, args);

describe('backups of a Cloudflare D1 database (fake API)', () => {
  it('a stage with backup: true exports, verifies and names the file; backup / verify by hand; a corrupted copy fails naming the table', async () => {
    const root = await makeProject({ ...cloudflareProjectFiles({ fake, uuids }, MIGRATIONS), 'pipeline/pipeline.yaml': PIPELINE });
    const db = fake.database(uuids.production!);

    // 1. the first promotion: the database is empty, the backup still proves itself
    const v1 = await promote(root, ['--to', 'production', '--json']);
    expect(v1.code, v1.stderr + v1.stdout.slice(-2000)).toBe(0);
    const s1 = lastJson(v1.stdout) as { runId: string; stages: { backups?: string[] }[] };
    expect(s1.stages[0]!.backups).toEqual([join(root, '.promote', 'backups', 'production', `${s1.runId}-DB.sql`)]);
    await db.query("INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'bob@example.com'); INSERT INTO notes (id, user_id, body) VALUES (1, 1, 'only in production'), (2, 2, 'it''s two')");

    // 2. a second migration with a backup: taken before it, holding the rows, named in the journal
    await writeFiles(root, { 'migrations/0003_tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n' });
    const v2 = await promote(root, ['--to', 'production', '--json']);
    expect(v2.code, v2.stderr + v2.stdout.slice(-2000)).toBe(0);
    const s2 = lastJson(v2.stdout) as { runId: string; stages: { backups?: string[] }[] };
    const staged = s2.stages[0]!.backups![0]!;
    const journal = readFileSync(join(root, '.promote', 'runs', s2.runId, 'journal.ndjson'), 'utf8');
    expect(journal).toContain(JSON.stringify(staged));
    const stagedText = readFileSync(staged, 'utf8');
    const header = JSON.parse(stagedText.split('\n')[0]!.replace('-- promote-backup: ', '')) as { source: string; database: string; rows: Record<string, number> };
    expect(header).toMatchObject({ source: 'd1-export', database: uuids.production, rows: { users: 2, notes: 2, d1_migrations: 2 } });
    expect(stagedText).toContain('only in production');
    expect(stagedText).not.toContain('CREATE TABLE tags');
    // taken under the stage's lock: the lease row is not in it (restored, it would lock the database)
    expect(stagedText).toContain('promote_lock');
    expect(stagedText).not.toMatch(/INSERT INTO "?promote_lock/i);
    // the source has moved on (0003): verify compares with the header
    const stagedCheck = await promote(root, ['backup', 'verify', staged, '--env', 'production', '--json']);
    expect(stagedCheck.code, stagedCheck.stderr).toBe(0);
    expect(lastJson(stagedCheck.stdout)).toMatchObject({ ok: true, comparedWith: 'header' });

    // 3. by hand: export now, verify against the live database
    const taken = await promote(root, ['backup', '--env', 'production', '--json']);
    expect(taken.code, taken.stderr).toBe(0);
    const file = (lastJson(taken.stdout) as { files: { file: string }[] }).files[0]!.file;
    const verified = await promote(root, ['backup', 'verify', file, '--env', 'production']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain('as production/DB as it is now');

    // 4. corrupted copies: a row removed, a table dropped
    const text = readFileSync(file, 'utf8');
    const rowCut = join(root, 'row-cut.sql');
    writeFileSync(rowCut, text.split('\n').filter((l) => !(l.startsWith('INSERT INTO') && l.includes("'it''s two'"))).join('\n'));
    const lostRow = await promote(root, ['backup', 'verify', rowCut, '--env', 'production']);
    expect(lostRow.code, lostRow.stdout).toBe(1);
    expect(lostRow.stderr).toContain('table notes: 1 row(s) in the dump, 2 in the source');
    const tableCut = join(root, 'table-cut.sql');
    const cut = text.split('\n').filter((l) => !/^(CREATE TABLE "?notes"?|CREATE INDEX "?notes_user"?|INSERT INTO "?notes"?)\b/i.test(l));
    expect(cut.length).toBeLessThan(text.split('\n').length - 3);
    writeFileSync(tableCut, cut.join('\n'));
    const lostTable = await promote(root, ['backup', 'verify', tableCut]);
    expect(lostTable.code, lostTable.stdout).toBe(1);
    expect(lostTable.stderr).toContain('table notes: in the header (2 row(s) there), not in the dump');
  }, 300_000);
});
