import type { LoadedEnvironment } from '../../config/schema.js';
import { notAdopted } from '../../ledger/foreign-ledgers.js';
import { loadWorkspace } from '../../engine/load-workspace.js';
import { observeAndClose, type ObservedEnvironment as ObservedDatabases } from '../../engine/observe.js';
import { observeFleetStatus, type ObservedFleet } from '../../engine/fleet-status.js';

type ObservedEnvironment = ObservedDatabases & { fleets?: ObservedFleet[] };
import { selectEnvironment } from '../../engine/select-environment.js';
import type { CommandContext } from '../command-context.js';
import { withProjectSecrets } from '../settings.js';
import { describeChunk, pendingChunks } from '../../migrations/transport.js';
import { paint, type Output } from '../output.js';
import { describeSchemaCheck, describeSchemaDifferences, schemaCheckJson, type SchemaCheck } from '../../schema/schema-drift.js';
import { describeVersionCounts, versionCounts } from '../../fleet/version-counts.js';

export async function run({ root, output, env, settings: base, values }: CommandContext<'status'>): Promise<number> {
  const ws = await loadWorkspace(root, env);
  const settings = withProjectSecrets(base, ws.project);
  const envs: LoadedEnvironment[] = values.env
    ? [selectEnvironment(ws.project, String(values.env), '--env')]
    : orderedEnvironments(ws.project.pipeline.stages.map((s) => s.environment), [...ws.project.environments.values()]);
  const observed = await Promise.all(
    envs.map(async (e) => {
      const o = await observeAndClose(ws, e, settings, { schema: !values['no-schema'] });
      const fleets = await observeFleetStatus(ws, e, settings);
      return fleets.length > 0 ? { ...o, fleets } : o;
    }),
  );
  if (values.html !== undefined) {
    const { writeStatusHtml } = await import('../../ui/status-html.js');
    const file = writeStatusHtml(ws, observed, String(values.html), process.cwd());
    output.err(`promote: wrote ${file}`);
  }
  if (output.json) output.out(JSON.stringify(statusJson(observed)));
  else renderStatus(output, observed);
  return 0;
}

/** Pipeline order first, then environments no stage uses. */
function orderedEnvironments(order: string[], all: LoadedEnvironment[]): LoadedEnvironment[] {
  const rank = (e: LoadedEnvironment) => (order.includes(e.name) ? order.indexOf(e.name) : order.length);
  return [...all].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export function statusJson(observed: readonly ObservedEnvironment[]) {
  return {
    environments: observed.map((o) => ({
      name: o.env.name,
      target: o.env.config.target,
      ...(o.note ? { note: o.note } : {}),
      databases: o.databases.map((d) => ({
        binding: d.binding,
        applied: d.plan.applied.map((a) => a.name),
        pending: d.plan.pending.map((m) => m.name),
        drift: d.plan.drift.map((x) => ({ name: x.name, reason: x.reason })),
        unverified: d.plan.adoptable.map((m) => m.name),
        outOfOrder: d.plan.outOfOrder.map((x) => x.name),
        notAdopted: [...claimedElsewhere(d).entries()].map(([name, tool]) => ({ name, tool })),
        renamed: d.plan.renamed.map((r) => ({ from: r.from, to: r.to.name, match: r.match })),
        retired: d.plan.retired,
        seeds: {
          applied: d.seedPlan.applied.map((a) => a.name),
          pending: d.seedPlan.pending.map((s) => s.name),
          changed: d.seedPlan.applied.filter((a) => a.changed).map((a) => a.name),
        },
        ...(d.plan.pending.length > 0 && d.transport ? { chunks: pendingChunks(d.plan.pending, d.transport) } : {}),
        ...(d.schema ? { schema: schemaCheckJson(d.schema) } : {}),
      })),
      ...(o.fleets
        ? {
            fleets: o.fleets.map((f) => ({
              binding: f.binding,
              ...(f.source ? { source: f.source } : {}),
              ...(f.match ? { match: f.match } : {}),
              total: f.tenants.length,
              versions: versionCounts(f.tenants),
              failed: f.tenants.filter((t) => t.failed !== undefined).map((t) => t.tenant),
              ...(f.lastRun ? { lastRun: f.lastRun } : {}),
              tenants: f.tenants.map((t) => ({
                tenant: t.tenant,
                version: t.version ?? null,
                applied: t.applied.length,
                pending: t.pending,
                ...(t.drift.length ? { drift: t.drift } : {}),
                ...(t.failed !== undefined ? { failed: t.failed } : {}),
              })),
            })),
          }
        : {}),
    })),
  };
}

/** Pending migrations another tool's ledger says are applied. */
function claimedElsewhere(d: ObservedEnvironment['databases'][number]): Map<string, string> {
  return notAdopted(d.plan.pending, d.state.foreign, new Set(d.plan.applied.map((a) => a.name)));
}

function renderStatus(output: Output, observed: readonly ObservedEnvironment[]): void {
  for (const o of observed) {
    output.out(paint(output, 'bold', `${o.env.name} (${o.env.config.target})`));
    if (o.note) output.out(`  ${paint(output, 'yellow', 'note:')} ${o.note}`);
    if (o.databases.length === 0 && !o.fleets?.length) output.out('  no databases');
    for (const f of o.fleets ?? []) {
      const failed = f.tenants.filter((t) => t.failed !== undefined).map((t) => t.tenant);
      const behind = f.tenants.filter((t) => t.pending.length > 0).length;
      output.out(`  ${f.binding} (fleet of ${f.tenants.length}): ${describeVersionCounts(f.tenants, failed)}${behind > 0 ? paint(output, 'yellow', `; ${behind} with migrations pending`) : ''}`);
    }
    for (const d of o.databases) {
      const { applied, pending, drift, adoptable, renamed, retired } = d.plan;
      const extra = [drift.length ? `${drift.length} drift` : '', renamed.length ? `${renamed.length} renamed` : '', retired.length ? `${retired.length} retired` : ''].filter(Boolean);
      const seeds = d.seedPlan;
      const seedCounts = seeds.applied.length + seeds.pending.length > 0 ? `; seeds: ${seeds.applied.length} applied, ${seeds.pending.length} pending` : '';
      output.out(`  ${d.binding}: ${applied.length} applied, ${pending.length} pending${extra.map((x) => `, ${x}`).join('')}${seedCounts}`);
      const renamedFrom = new Map(renamed.map((r) => [r.from, r.to.name]));
      const retiredNames = new Set(retired);
      const driftBy = new Map(drift.map((x) => [x.name, x.reason]));
      const unverified = new Set(adoptable.map((m) => m.name));
      for (const a of applied) {
        const reason = driftBy.get(a.name);
        const to = renamedFrom.get(a.name);
        if (to !== undefined) {
          output.out(`    ${paint(output, 'yellow', '→')} renamed: ${a.name} -> ${to}  ${paint(output, 'yellow', `record it: promote repair --env ${o.env.name}`)}`);
          continue;
        }
        if (retiredNames.has(a.name)) {
          output.out(`    ${paint(output, 'dim', '-')} ${a.name}  ${paint(output, 'dim', 'retired (file removed on purpose)')}`);
          continue;
        }
        const note = reason
          ? paint(output, 'red', `drift: ${reason}`)
          : unverified.has(a.name)
            ? paint(output, 'dim', 'applied by another tool; checksum recorded on next migrate')
            : paint(output, 'dim', `${a.baseline ? 'baseline, ' : ''}${a.appliedAt}${a.durationMs !== undefined ? `, ${Math.round(a.durationMs)} ms` : ''}`);
        output.out(`    ${reason ? paint(output, 'red', '!') : paint(output, 'green', '✓')} ${a.name}  ${note}`);
      }
      const elsewhere = claimedElsewhere(d);
      for (const m of pending) {
        const tool = elsewhere.get(m.name);
        const note = tool ? `applied by ${tool}, not adopted: promote baseline --env ${o.env.name} adopts it` : 'pending';
        output.out(`    ${paint(output, 'yellow', '•')} ${m.name}  ${paint(output, 'yellow', note)}`);
      }
      if (pending.length > 0) for (const c of pendingChunks(pending, d.transport) ?? []) output.out(paint(output, 'dim', `    ${describeChunk(c)}`));
      for (const a of seeds.applied) {
        const note = a.changed
          ? paint(output, 'yellow', 'changed since it was applied (checksum): not applied again')
          : paint(output, 'dim', `${a.appliedAt}${a.fileMissing ? ', file removed' : ''}`);
        output.out(`    ${a.changed ? paint(output, 'yellow', '!') : paint(output, 'green', '✓')} seed ${a.name}  ${note}`);
      }
      for (const s of seeds.pending) output.out(`    ${paint(output, 'yellow', '•')} seed ${s.name}  ${paint(output, 'yellow', 'pending')}`);
      if (d.schema) for (const line of schemaLines(output, d.schema, o.env.name)) output.out(`    ${line}`);
    }
  }
}

/** "schema: matches", or the differences from what the migrations build (and how to see them). */
export function schemaLines(output: Output, check: SchemaCheck, envName: string): string[] {
  const head = describeSchemaCheck(check);
  if (check.status === 'matches') return [paint(output, 'green', head)];
  if (check.status === 'unknown') return [paint(output, 'dim', head)];
  return [
    paint(output, 'red', `${head} (changed by hand?): promote diff --env ${envName}`),
    ...describeSchemaDifferences(check.differences).map((l) => `  ${paint(output, 'red', '!')} ${l}`),
  ];
}
