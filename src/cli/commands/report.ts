/**
 * `promote report --merge <files...>`: the reports of a matrix of shards (and the
 * job before them) as one summary and one exit code, for the workflow's last job.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { describeMerged, mergeReports, type NamedReport } from '../../runs/merge-reports.js';
import { validateReport } from '../../runs/run-report.js';
import type { CommandContext } from '../command-context.js';

export async function run({ root, output, values, positionals }: CommandContext<'report'>): Promise<number> {
  if (!values.merge) throw new InvalidInputError([], 'promote report needs --merge <file>...: the report files of the shards (promote --shard i/n --report <file>)');
  if (positionals.length === 0) throw new InvalidInputError([], 'promote report --merge needs at least one report file (e.g. reports/*.json)');
  const reports: NamedReport[] = [];
  const problems: string[] = [];
  for (const file of positionals) {
    let text: string;
    try {
      text = await readFile(resolve(root, file), 'utf8');
    } catch (e) {
      problems.push(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): pass the path of a report a promote run wrote`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      problems.push(`${file}: not JSON (${(e as Error).message}): is it a promote report? a run writes one with --report <file>`);
      continue;
    }
    const checked = validateReport(json);
    if ('problems' in checked) problems.push(`${file}: not a promote report: ${checked.problems.join('; ')}`);
    else reports.push({ file, report: checked.report });
  }
  if (problems.length > 0) throw new InvalidInputError([], problems.join('\n'));
  const outcome = mergeReports(reports);
  if ('problems' in outcome) throw new InvalidInputError([], outcome.problems.join('\n'));
  if (output.json) output.out(JSON.stringify({ type: 'report', ...outcome.merged }));
  else for (const line of describeMerged(outcome.merged)) output.out(line);
  return outcome.merged.exitCode;
}
