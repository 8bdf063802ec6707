import { createPromotionMachine } from '../../machine/promotion-machine.js';
import { toMermaid } from '../../machine/graph.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { stagesUpTo } from '../../engine/select-environment.js';
import type { CommandContext } from '../command-context.js';

export async function run({ root, env, values, output }: CommandContext<'graph'>): Promise<number> {
  const ws = await loadWorkspace(root, env);
  const stages = stagesUpTo(ws.project, values.to === undefined ? undefined : String(values.to));
  const plans = ws.project.pipeline.stages.filter((s) => stages.some((e) => e.name === s.environment));
  const mermaid = toMermaid(createPromotionMachine(plans) as unknown as { config: unknown });
  output.out(output.json ? JSON.stringify({ type: 'graph', format: 'mermaid', stages: plans.map((s) => s.environment), mermaid }) : mermaid);
  return 0;
}
