/** buildWorker on temp projects: the repository's example Worker, bundling, and the errors a user sees. */
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { buildWorker } from '../../../src/targets/local/worker-build.js';

const REPO_WORKER = join(import.meta.dirname, '../../../app/worker.js');

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'promote-worker-build-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

async function buildError(root: string, main: string): Promise<InvalidInputError> {
  const error = await buildWorker(root, { main }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

describe('buildWorker', () => {
  it("builds the repository's example Worker into one ESM module with a default export", async () => {
    const root = await project({});
    await mkdir(join(root, 'app'));
    await copyFile(REPO_WORKER, join(root, 'app/worker.js'));
    const build = await buildWorker(root, { main: 'app/worker.js' });
    expect(build.main).toBe('app/worker.js');
    expect(build.code).toMatch(/export\s*\{[^}]*\bas default\b[^}]*\}|export default/);
    expect(build.code).toContain('"/health"');
    expect(build.codeHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(build.configHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(build.compatibilityDate).toBe('2026-04-01');
    expect(build.compatibilityFlags).toEqual([]);
    expect(build.vars).toEqual({});
  });

  it('gives the same hashes for the same input, in another directory too', async () => {
    const files = { 'src/index.js': 'import { hi } from "./hi.js";\nexport default { fetch: () => new Response(hi) };\n', 'src/hi.js': 'export const hi = "hi";\n' };
    const config = { main: 'src/index.js', compatibility_date: '2025-01-01', compatibility_flags: ['nodejs_compat'], vars: { A: '1', B: '2' } };
    const a = await buildWorker(await project(files), config);
    const b = await buildWorker(await project(files), { ...config, vars: { B: '2', A: '1' } });
    expect(b.code).toBe(a.code);
    expect(b.codeHash).toBe(a.codeHash);
    expect(b.configHash).toBe(a.configHash);
  });

  it('changes only the config hash when vars change', async () => {
    const root = await project({ 'w.js': 'export default {};\n' });
    const a = await buildWorker(root, { main: 'w.js', vars: { A: '1' } });
    const b = await buildWorker(root, { main: 'w.js', vars: { A: '2' } });
    expect(b.codeHash).toBe(a.codeHash);
    expect(b.configHash).not.toBe(a.configHash);
    expect(b.vars).toEqual({ A: '2' });
  });

  it('bundles a sibling module into the one output module', async () => {
    const root = await project({
      'src/index.js': 'import { greeting } from "./greeting.js";\nexport default { fetch: () => new Response(greeting()) };\n',
      'src/greeting.js': 'export function greeting() { return "hello from sibling"; }\n',
    });
    const build = await buildWorker(root, { main: 'src/index.js' });
    expect(build.code).toContain('hello from sibling');
    expect(build.code).not.toMatch(/from\s*["']\.\/greeting\.js["']/);
  });

  it('leaves cloudflare: and node: imports to the runtime', async () => {
    const root = await project({
      'w.js': 'import { DurableObject } from "cloudflare:workers";\nimport { Buffer } from "node:buffer";\nexport class Counter extends DurableObject {}\nexport default { fetch: () => new Response(Buffer.from("x")) };\n',
    });
    const build = await buildWorker(root, { main: 'w.js' });
    expect(build.code).toMatch(/from\s*"cloudflare:workers"/);
    expect(build.code).toMatch(/from\s*"node:buffer"/);
  });

  it('reports a syntax error at the imported file and line that has it', async () => {
    const root = await project({
      'src/index.js': 'import { x } from "./lib/broken.js";\nexport default { fetch: () => new Response(x) };\n',
      'src/lib/broken.js': '// fine\n\nexport const x = ;\n',
    });
    const error = await buildError(root, 'src/index.js');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({
      severity: 'error',
      code: 'E_WORKER_BUILD',
      file: 'src/lib/broken.js',
      line: 3,
      hint: 'fix the Worker source; nothing was deployed',
    });
    expect(error.problems[0]!.message).toMatch(/Unexpected/);
  });

  it('gives one problem per esbuild error', async () => {
    const root = await project({
      'w.js': 'import "./missing-a.js";\nimport "./missing-b.js";\nexport default {};\n',
    });
    const error = await buildError(root, 'w.js');
    expect(error.problems.map((p) => [p.code, p.file, p.line])).toEqual([
      ['E_WORKER_BUILD', 'w.js', 1],
      ['E_WORKER_BUILD', 'w.js', 2],
    ]);
  });

  it('reports a missing main file as a build problem naming it', async () => {
    const root = await project({});
    const error = await buildError(root, 'src/nope.js');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ code: 'E_WORKER_BUILD', file: 'src/nope.js', severity: 'error' });
    expect(error.problems[0]!.message).toMatch(/Could not resolve/);
  });
});
