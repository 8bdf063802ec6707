import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { RETIRED_FILE, parseRetired } from '../../migrations/retired-file.js';
import { dirname, join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import type { CommandContext } from '../command-context.js';

/** Pure: the next file names for a slug, given the names already in the folder. */
export function nextMigrationNames(existing: readonly string[], slugInput: string): { id: string; sql: string; rollback: string } {
  const slug = slugInput.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!slug) {
    throw new InvalidInputError([], `'${slugInput}' has no letters or digits to name a migration with`);
  }
  const numbered = existing.map((n) => /^(\d+)_/.exec(n)?.[1]).filter((x): x is string => x !== undefined);
  const next = Math.max(0, ...numbered.map(Number)) + 1;
  // A folder numbered with one width throughout (3 digits, say) keeps it; wrangler's 4 otherwise.
  const widths = new Set(numbered.map((x) => x.length));
  const width = widths.size === 1 ? [...widths][0]! : Math.max(4, ...widths);
  const id = String(next).padStart(width, '0');
  return { id, sql: `${id}_${slug}.sql`, rollback: `${id}_${slug}.rollback.sql` };
}

export async function run(ctx: CommandContext<'new'>): Promise<number> {
  if (ctx.values.revert !== undefined) return revert(ctx);
  const { root, output, values, positionals } = ctx;
  const slug = positionals.join(' ').trim();
  if (!slug) throw new InvalidInputError([], "promote new needs a name, e.g. 'promote new add_users'");
  const dir = String(values.dir ?? 'migrations');
  const abs = join(root, dir);
  await mkdir(abs, { recursive: true });
  // Retired migrations keep their numbers: a new file never reuses one that a ledger holds.
  const retired = existsSync(join(abs, RETIRED_FILE)) ? [...parseRetired(await readFile(join(abs, RETIRED_FILE), 'utf8'))] : [];
  const names = nextMigrationNames([...(await readdir(abs)), ...retired], slug);
  // Same header as `wrangler d1 migrations create`, so files look alike whichever tool made them.
  const header = `-- Migration number: ${names.id} \t ${new Date().toISOString()}\n`;
  const created = [`${dir}/${names.sql}`];
  await writeFile(join(abs, names.sql), `${header}-- ${slug}: write the forward SQL below (promote validate rejects a file with no statements).\n\n`, { flag: 'wx' });
  if (values.rollback) {
    // In rollback/, where `wrangler d1 migrations apply` never looks (it would run it forward).
    await mkdir(join(abs, 'rollback'), { recursive: true });
    await writeFile(join(abs, 'rollback', names.rollback), `-- Rollback of ${names.sql}: undo it, newest change first.\n\n`, { flag: 'wx' });
    created.push(`${dir}/rollback/${names.rollback}`);
  }
  if (output.json) output.out(JSON.stringify({ type: 'new', created }));
  else for (const f of created) output.out(`created ${f}`);
  return 0;
}

/** `promote new --revert <NNNN>`: the draft rollback of migration NNNN, never over an existing file. */
async function revert({ root, output, values, positionals }: CommandContext<'new'>): Promise<number> {
  const number = String(values.revert).trim();
  if (positionals.length > 0) throw new InvalidInputError([], `promote new --revert ${number} takes no name: the rollback file is named after migration ${number}`);
  if (values.rollback) throw new InvalidInputError([], '--revert and --rollback do not go together: --revert already writes the rollback file');
  const dir = String(values.dir ?? 'migrations').replace(/\/+$/, '');
  // Imported here: the replay starts a Miniflare, which a plain `promote new` never needs.
  const { draftRevert, rollbackExists } = await import('../../engine/draft-revert.js');
  const draft = await draftRevert(root, dir, number);
  const abs = join(root, draft.path);
  await mkdir(dirname(abs), { recursive: true });
  try {
    // wx: exclusive create, so a file that appeared meanwhile is never overwritten either.
    await writeFile(abs, draft.sql, { flag: 'wx' });
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') throw rollbackExists(draft.path);
    throw e;
  }
  if (output.json) output.out(JSON.stringify({ type: 'new', created: [draft.path], revert: draft.migration.name, lost: draft.lost, warnings: draft.warnings }));
  else {
    output.out(`created ${draft.path} (a draft: review it before use)`);
    for (const l of draft.lost) output.out(`  cannot come back: ${l}`);
    for (const w of draft.warnings) output.out(`  check: ${w}`);
  }
  return 0;
}
