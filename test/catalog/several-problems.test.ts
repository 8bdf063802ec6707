/**
 * One project, five different problems across three files (two config files and a migration):
 * a single run must report every one of them, each at its file:line, and refuse with exit 2
 * without touching anything. Fixing them one run at a time is what this guards against.
 * In-process (main() with captured output): nothing here opens an environment.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_FILES, LOCAL_ENV, PIPELINE, cleanupProjects, makeProject, stateFingerprint } from '../helpers/project.js';
import { runInProcess } from '../helpers/in-process.js';

afterAll(cleanupProjects);

function replaced(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`'${from}' not found`);
  return text.replace(from, to);
}

const FILES: Record<string, string> = {
  ...BASE_FILES,
  // pipeline/pipeline.yaml: an unknown key in a stage (line 6) and a bad rollback policy (line 8).
  'pipeline/pipeline.yaml': replaced(replaced(PIPELINE, 'bookmark: true', 'bookmarkk: true'), 'database: time-travel', 'database: snapshots'),
  // environments/dev.yaml: a binding that is no identifier (line 3), a status written as a string (line 7).
  'environments/dev.yaml': replaced(replaced(LOCAL_ENV, 'binding: DB', 'binding: my-db'), 'status: 200', 'status: "200"'),
  // migrations/0003_attach.sql: ATTACH, which D1 never allows (line 2).
  'migrations/0003_attach.sql': "CREATE TABLE tags (id INTEGER PRIMARY KEY);\nATTACH DATABASE 'other.db' AS other;\n",
};

const EXPECTED = [
  { where: 'environments/dev.yaml:3', code: 'E_CONFIG_INVALID_VALUE' },
  { where: 'environments/dev.yaml:7', code: 'E_CONFIG_INVALID_TYPE' },
  { where: 'migrations/0003_attach.sql:2', code: 'E_ATTACH' },
  { where: 'pipeline/pipeline.yaml:6', code: 'E_CONFIG_UNKNOWN_KEY' },
  { where: 'pipeline/pipeline.yaml:8', code: 'E_CONFIG_INVALID_VALUE' },
];

describe('several problems in one project', () => {
  for (const args of [['validate'], ['migrate', '--env', 'dev']]) {
    it(`${args[0]} reports all five, each at its file:line, in one run (exit 2)`, async () => {
      const root = await makeProject(FILES);
      const before = stateFingerprint(root);
      const res = await runInProcess([...args, '--cwd', root]);
      const context = `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`;
      expect(res.code, context).toBe(2);

      const heads = res.stderr.split('\n').filter((l) => / error E_[A-Z0-9_]+: /.test(l));
      const missing = EXPECTED.filter(({ where, code }) => !heads.some((h) => h.startsWith(`${where} error ${code}: `)));
      expect(missing, `problems not reported in the same run:\n${context}`).toEqual([]);
      expect(heads, context).toHaveLength(EXPECTED.length);
      // Reported like a compiler: by file, then line.
      expect(heads.map((h) => h.split(' ')[0])).toEqual(EXPECTED.map((e) => e.where));
      expect(res.stderr, context).toContain(`${EXPECTED.length} problem(s) found; nothing was changed`);

      expect(stateFingerprint(root)).toBe(before);
      expect(existsSync(join(root, '.promote'))).toBe(false);
    });
  }
});
