/**
 * `promote init`: writes pipeline/ and environments/ from the project's wrangler
 * config (see project/init-files.ts). Never overwrites a file: existing ones are
 * listed as kept, and the rest are written.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { initFiles } from '../../engine/init-files.js';
import { WRANGLER_CONFIG_FILES, readWranglerConfig } from '../../wrangler/wrangler-config.js';
import type { CommandContext } from '../command-context.js';
import { paint } from '../output.js';

export async function run({ root, output }: CommandContext<'init'>): Promise<number> {
  const wrangler = readWranglerConfig(root);
  if (!wrangler) {
    throw new InvalidInputError([
      {
        severity: 'error',
        code: 'E_WRANGLER_CONFIG_MISSING',
        file: '.',
        message: `no wrangler config in ${root} (looked for ${WRANGLER_CONFIG_FILES.join(', ')})`,
        hint: 'run promote init in the Worker project (or pass --cwd <its folder>)',
      },
    ], 'nothing was written');
  }
  const { files, stages } = initFiles(wrangler, basename(root));
  const written: string[] = [];
  const kept: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    const absolute = join(root, path);
    if (existsSync(absolute)) {
      kept.push(path);
      continue;
    }
    await mkdir(dirname(absolute), { recursive: true });
    // 'wx' fails rather than overwrite a file created since the check.
    await writeFile(absolute, text, { flag: 'wx' });
    written.push(path);
  }
  if (output.json) {
    output.out(JSON.stringify({ type: 'summary', command: 'init', from: wrangler.file, stages, written, kept }));
    return 0;
  }
  output.out(`promote init: read ${wrangler.file}; pipeline ${stages.join(' -> ')}`);
  for (const path of written) output.out(`  ${paint(output, 'green', 'wrote')} ${path}`);
  for (const path of kept) output.out(`  ${paint(output, 'dim', 'kept')}  ${path} (exists; not overwritten)`);
  output.out(`
next:
  1. fill in the /health check (and worker.url) in environments/*.yaml, and reorder stages in pipeline/pipeline.yaml if needed
  2. npx promote validate           check the files (touches nothing)
  3. npx promote --to local         migrate, serve and verify the local stage
  4. npx promote status             what each environment has applied (cloudflare ones need CLOUDFLARE_API_TOKEN)`);
  return 0;
}
