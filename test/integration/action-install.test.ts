/**
 * What action.yml installs: the runtime dependencies only, from the lockfile, with install
 * scripts off, then dist/ built with esbuild (scripts/build-runtime.mjs) instead of tsc. Checked
 * here: the install step says so; nothing promote imports at run time is a devDependency; and a
 * dist built that way runs the real CLI (a local promotion: Miniflare, workerd, esbuild).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../helpers/project.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const temp: string[] = [];
afterAll(async () => {
  await Promise.all(temp.map((d) => rm(d, { recursive: true, force: true })));
});

describe('action.yml installs what promote runs with, and nothing else', () => {
  it('npm ci --omit=dev --ignore-scripts, dist/ by esbuild, versions printed', () => {
    const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as { runs: { steps: { name: string; run: string }[] } };
    const install = action.runs.steps.find((s) => s.name === 'Install promote')!.run;
    const ci = install.split('\n').find((l) => l.trim().startsWith('npm ci'))!;
    expect(ci).toContain('--omit=dev');
    expect(ci).toContain('--ignore-scripts');
    expect(install).toContain('scripts/build-runtime.mjs');
    expect(install).toContain('npm ls');
    expect(install).not.toMatch(/npm (install|i) /);
  });

  it('every package src/ imports is a runtime dependency; no test runner or type checker is one', () => {
    const files = readdirSync(join(REPO, 'src'), { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.ts'));
    const imported = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(REPO, 'src', f), 'utf8');
      // Value imports only: `import type` is erased and needs nothing at run time.
      for (const m of text.matchAll(/(?:^import (?!type )[^'"]*?from |import\()\s*'([^'./][^']*)'/gm)) {
        const name = m[1]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!;
        if (!name.startsWith('node:')) imported.add(name);
      }
    }
    expect(imported.size, 'imports found').toBeGreaterThan(5);
    expect([...imported].filter((n) => !(n in pkg.dependencies))).toEqual([]);
    // wrangler is spawned at run time (target: cloudflare) when the project has none of its own.
    expect(pkg.dependencies).toHaveProperty('wrangler');
    for (const dev of ['typescript', 'vitest', '@types/node']) expect(pkg.dependencies).not.toHaveProperty(dev);
  });

  it('a dist/ built by scripts/build-runtime.mjs runs a real local promotion', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promote-runtime-'));
    temp.push(dir);
    // The action's layout: bin/, dist/, package.json and the installed node_modules side by side.
    cpSync(join(REPO, 'bin'), join(dir, 'bin'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const built = await run(process.execPath, [join(REPO, 'scripts', 'build-runtime.mjs'), join(dir, 'dist')]);
    expect(built.stdout).toMatch(/^built \d+ modules into .* with esbuild \d+\.\d+\.\d+/);
    const project = join(dir, 'project');
    mkdirSync(project);
    cpSync(join(REPO, 'examples', 'clean-promotion'), project, { recursive: true });
    const res = await run(process.execPath, [join(dir, 'bin', 'promote.js'), '--to', 'dev', '--json', '--cwd', project], {
      env: { ...process.env, GITHUB_ACTIONS: '', GITHUB_TOKEN: '', SLACK_WEBHOOK_URL: '', NO_COLOR: '1' },
    });
    const summary = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { type: string; result: string };
    expect(summary).toMatchObject({ type: 'summary', result: 'promoted' });
  }, 180_000);
});
