#!/usr/bin/env node
/**
 * `node scripts/build-runtime.mjs [outdir]`: dist/ from src/ with esbuild, one .js per .ts,
 * the same layout `npm run build` (tsc) produces. For where only the runtime dependencies
 * are installed (action.yml: `npm ci --omit=dev`): esbuild is one of them (promote bundles
 * Workers with it), TypeScript is not. It strips types and does not check them; the type
 * check is CI's job (`npm run typecheck`) before a ref is released.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(process.argv[2] ?? join(root, 'dist'));
const src = join(root, 'src');
const entryPoints = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))
  .map((p) => join(src, p));

await build({
  entryPoints,
  outdir,
  outbase: src,
  bundle: false,
  format: 'esm',
  platform: 'node',
  // tsconfig.json's target: the same class-field and syntax semantics as tsc's output.
  target: 'es2022',
  tsconfig: join(root, 'tsconfig.build.json'),
  sourcemap: true,
  logLevel: 'warning',
});
console.log(`built ${entryPoints.length} modules into ${outdir} with esbuild ${version}`);
