/**
 * `npm run lint:deps` is the layering rule CI enforces (.dependency-cruiser.cjs)
 * on the tree as it is. A check that never fails proves nothing, so this runs
 * the very script on a copy of src/ with a deliberate import cycle, a deliberate
 * upward import and a Miniflare import outside targets/ added: the run must fail
 * and name those three and nothing else (so the tree itself is clean too). One
 * run, not two: each spends seconds in TypeScript's parser.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.js';

const run = promisify(execFile);

interface LintResult {
  code: number;
  output: string;
}

async function lintDeps(cwd: string): Promise<LintResult> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'lint:deps'], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** src/ and the files lint:deps reads, copied; then `extra` added on top. */
async function copyTreeWith(extra: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'promote-layering-'));
  made.push(root);
  await cp(join(REPO, 'src'), join(root, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json', '.dependency-cruiser.cjs']) await cp(join(REPO, file), join(root, file));
  await linkNodeModules(root);
  for (const [path, content] of Object.entries(extra)) await writeFile(join(root, path), content);
  return root;
}

/**
 * Hard links (0.3 s, no bytes copied), so a package resolves to the copy's own
 * `node_modules/...` exactly as in the checkout: a symlink would resolve to a path
 * outside it, and a config that wrongly excludes ^node_modules/ would pass here
 * while failing to check the real tree. A symlink only where hard links cannot be made.
 */
async function linkNodeModules(root: string): Promise<void> {
  try {
    await run('cp', ['-al', join(REPO, 'node_modules'), join(root, 'node_modules')]);
  } catch {
    await rm(join(root, 'node_modules'), { recursive: true, force: true });
    await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  }
}

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The violations the err reporter lists, as "rule: from → to" with whitespace collapsed. */
function violations(output: string): string[] {
  return output
    .split(/\n(?=\s*error )/)
    .filter((block) => /^\s*error /.test(block))
    .map((block) => block.replace(/\s+/g, ' ').trim().replace(/^error /, ''));
}

describe('npm run lint:deps (the layering rule)', () => {
  it('fails on an added cycle, upward import and runtime outside targets/, naming each', async () => {
    const broken = await copyTreeWith({
      // A cycle between two modules of the same (lowest) layer: no layer rule is broken, only no-circular.
      'src/migrations/cycle-a.ts': "import { b } from './cycle-b.js';\nexport const a = (): number => b() + 1;\n",
      'src/migrations/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = (): number => (a.length > 0 ? 0 : 1);\n",
      // The pure config layer reaching up into orchestration.
      'src/config/upward.ts': "import { loadWorkspace } from '../engine/load-workspace.js';\nexport const load = loadWorkspace;\n",
      // A runtime outside the adapters.
      'src/ledger/runtime.ts': "import { Miniflare } from 'miniflare';\nexport const runtime = Miniflare;\n",
    });
    const failing = await lintDeps(broken);

    expect(failing.code, failing.output).not.toBe(0);
    const found = violations(failing.output);
    expect(found, failing.output).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no-circular: src\/migrations\/cycle-a\.ts → src\/migrations\/cycle-b\.ts → src\/migrations\/cycle-a\.ts/),
        expect.stringMatching(/^no-upward-from-base: src\/config\/upward\.ts → src\/engine\/load-workspace\.ts/),
        expect.stringMatching(/^runtimes-only-in-targets: src\/ledger\/runtime\.ts → (\S*\/)?node_modules\/miniflare\//),
      ]),
    );
    // Nothing but what was added: the tree itself passes.
    expect(found, failing.output).toHaveLength(3);
  }, 60_000);
});
