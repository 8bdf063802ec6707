/**
 * The machine as a Mermaid state diagram, drawn from the same config the
 * machine runs, so the picture cannot drift from the behaviour.
 */
interface StateConfig {
  states?: Record<string, StateConfig>;
  invoke?: { onDone?: { target?: string }; onError?: { target?: string } };
  always?: { target?: string }[] | { target?: string };
  type?: string;
}

const label = (key: string) => key.replace(/^stage:/, '');
const id = (path: string[]) => path.map((p) => label(p).replace(/[^A-Za-z0-9]/g, '_')).join('__');

export function toMermaid(machine: { config: unknown }, highlight?: { path: string[]; failed?: string[] }): string {
  const root = machine.config as StateConfig & { initial?: string };
  const lines = ['stateDiagram-v2'];
  const top = root.states ?? {};
  const resolve = (target: string | undefined, parent: string[]): string[] | undefined => {
    if (!target) return undefined;
    if (target.startsWith('#promotion.')) {
      const key = target.slice('#promotion.'.length);
      const node = top[key];
      return node?.states ? [key, Object.keys(node.states)[0]!] : [key];
    }
    return [...parent, target];
  };
  if (root.initial) {
    const first = resolve(`#promotion.${root.initial}`, []);
    if (first) lines.push(`  [*] --> ${id(first)}`);
  }
  for (const [key, node] of Object.entries(top)) {
    if (!node.states) {
      lines.push(`  state "${label(key)}" as ${id([key])}`);
      if (node.type === 'final') lines.push(`  ${id([key])} --> [*]`);
      continue;
    }
    for (const [sub, child] of Object.entries(node.states)) {
      const from = [key, sub];
      lines.push(`  state "${label(key)}: ${sub}" as ${id(from)}`);
      const done = resolve(child.invoke?.onDone?.target, [key]);
      const error = resolve(child.invoke?.onError?.target, [key]);
      if (done) lines.push(`  ${id(from)} --> ${id(done)}`);
      if (error && (!done || id(error) !== id(done))) lines.push(`  ${id(from)} --> ${id(error)}: failed`);
      const always = Array.isArray(child.always) ? child.always : child.always ? [child.always] : [];
      for (const [i, t] of always.entries()) {
        const to = resolve(t.target, [key]);
        if (to) lines.push(`  ${id(from)} --> ${id(to)}${i === 0 ? ': verified this change' : ': other change'}`);
      }
    }
  }
  if (highlight) {
    lines.push('  classDef taken fill:#d4f7d4,stroke:#2b8a3e', '  classDef failed fill:#ffd6d6,stroke:#c92a2a');
    for (const p of highlight.path) lines.push(`  class ${id(p.split('.'))} taken`);
    for (const p of highlight.failed ?? []) lines.push(`  class ${id(p.split('.'))} failed`);
  }
  return lines.join('\n');
}
