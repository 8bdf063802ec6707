import { loadWorkspace } from '../../engine/load-workspace.js';
import type { CommandContext } from '../command-context.js';
import { paint, printProblems } from '../output.js';

export async function run({ root, output, env }: CommandContext<'validate'>): Promise<number> {
  const ws = await loadWorkspace(root, env);
  printProblems(output, ws.warnings);
  const count = [...ws.migrations.values()].reduce((n, m) => n + m.length, 0);
  // One file of seeds/all/ feeds several environments: count files, not placements.
  const seeds = new Set([...ws.project.environments.values()].flatMap((e) => ws.databasesOf(e).flatMap((d) => ws.seedsOf(e, d.binding).map((s) => s.path)))).size;
  const summary = {
    type: 'validate',
    ok: true,
    environments: [...ws.project.environments.keys()],
    stages: ws.project.pipeline.stages.map((s) => s.environment),
    migrations: count,
    seeds,
    warnings: ws.warnings,
  };
  if (output.json) output.out(JSON.stringify(summary));
  else {
    output.out(
      `${paint(output, 'green', 'valid')}: pipeline '${ws.project.pipeline.name}' (${summary.stages.join(' -> ')}), ` +
        `${summary.environments.length} environment(s), ${count} migration(s), ${seeds > 0 ? `${seeds} seed file(s), ` : ''}${ws.warnings.length} warning(s)`,
    );
  }
  return 0;
}
