#!/usr/bin/env node
/**
 * `prepare` (run by `npm ci`, and again by `npx promote`, which installs this
 * project into npx's cache): compiles src/ to dist/ only when dist/ is older
 * than the sources, so `npx promote` does not pay for a build `npm ci` already
 * did. The build goes to a temporary folder that replaces dist/ in one rename:
 * a Ctrl-C mid-build leaves the previous dist/ (or none), never half of one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const marker = join(dist, 'cli', 'main.js');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const sources = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => join(root, p)).filter(existsSync);
const force = process.argv.includes('--force');
if (!force && existsSync(marker) && statSync(marker).mtimeMs >= Math.max(...sources.map(newest))) process.exit(0);

const tmp = join(root, `dist.building-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], { stdio: 'inherit' });
  rmSync(dist, { recursive: true, force: true });
  renameSync(tmp, dist);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
