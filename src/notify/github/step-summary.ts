/**
 * The GitHub step summary of a run (GITHUB_STEP_SUMMARY): a Mermaid diagram of the
 * path taken with the failing state highlighted, a table per stage, and the
 * rollback story. `buildStepSummary` is pure; `appendStepSummary` is the writer.
 */
import { appendFileSync, statSync } from 'node:fs';
import type { RunEvent } from '../../events/run-events.js';
import {
  describeFleetCounts,
  describeCheckFailure,
  describeDetail,
  describeFailure,
  describeLostWrites,
  describeStageResult,
  describeStageWarnings,
  formatDuration,
  oneLine,
} from '../describe.js';
import { describeTrigger, shortCommit, type RunContext } from '../run-context.js';
import { recallRun, type RunMemory, type StageMemory } from '../run-memory.js';

/** GitHub's limit per step summary file. */
export const STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024;

const RESULT_MARK: Record<string, string> = {
  promoted: '✅',
  'rolled-back': '↩️',
  failed: '❌',
  skipped: '⏭️',
  interrupted: '⏸️',
  running: '⏳',
};

export function buildStepSummary(events: readonly RunEvent[], ctx: RunContext): string {
  const memory = recallRun(events);
  const result = memory.summary?.result ?? (memory.interrupted ? 'interrupted' : 'running');
  const target = memory.to ? ` → ${memory.to}` : '';
  const out: string[] = [`## ${RESULT_MARK[result]} promote: ${result === 'rolled-back' ? 'rolled back' : result} · ${md(ctx.pipeline)}${md(target)}`, ''];
  out.push(...factsTable(memory, ctx), '');
  if (memory.summary?.action) out.push('> [!CAUTION]', `> **Action required:** ${md(oneLine(memory.summary.action))}`, '');
  if (memory.summary?.message) out.push(md(oneLine(memory.summary.message)), '');
  if (memory.interrupted) out.push(`Interrupted: ${md(oneLine(memory.interrupted))}`, '');
  const warnings = memory.summary ? describeStageWarnings(memory.summary.stages) : [];
  if (warnings.length > 0) out.push('> [!WARNING]', ...warnings.map((w) => `> ${md(w)}`), '');
  out.push('```mermaid', buildStateDiagram(memory), '```', '');
  for (const stage of memory.stages) out.push(...stageSection(stage), '');
  const story = memory.stages.flatMap(rollbackStory);
  if (story.length > 0) out.push('### Rollback', '', ...story);
  // Sections end with a blank line and are joined by one: keep a single blank line between blocks.
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function factsTable(memory: RunMemory, ctx: RunContext): string[] {
  const trigger = describeTrigger(ctx);
  const row: [string, string][] = [['Run', code(memory.runId ?? 'unknown')]];
  if (ctx.commit) row.push(['Commit', ctx.commitUrl ? `[${code(shortCommit(ctx.commit))}](${ctx.commitUrl})` : code(shortCommit(ctx.commit))]);
  if (trigger) row.push(['Triggered by', cell(trigger)]);
  if (memory.summary) row.push(['Duration', formatDuration(memory.summary.durationMs)], ['Exit code', String(memory.summary.exitCode)]);
  const flags = [memory.dryRun ? 'dry run' : '', memory.resumed ? 'resumed' : ''].filter(Boolean).join(', ');
  if (flags) row.push(['Flags', flags]);
  return [`| ${row.map(([k]) => k).join(' | ')} |`, `|${row.map(() => '---').join('|')}|`, `| ${row.map(([, v]) => v).join(' | ')} |`];
}

/** Mermaid ids: letters, digits and _ only; a prefix keeps "end" or "state" from being keywords. */
const nodeId = (...parts: string[]): string => `s_${parts.join('__').replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * Stages entered are composite states holding the steps they took, in order;
 * classDef marks steps taken and the failing one (Mermaid cannot style composite
 * states). Stages never entered are plain grey states.
 */
export function buildStateDiagram(memory: RunMemory): string {
  const lines = [
    'stateDiagram-v2',
    '  direction LR',
    '  classDef taken fill:#d4f7d4,stroke:#2b8a3e',
    '  classDef failed fill:#ffd6d6,stroke:#c92a2a,font-weight:bold',
    '  classDef skipped fill:#eeeeee,stroke:#999999,color:#666666',
  ];
  const classes: string[] = [];
  let previous = '[*]';
  for (const stage of memory.stages) {
    const id = nodeId(stage.environment);
    const steps = stage.steps.filter((s) => s.state !== 'started' || s === stage.steps.at(-1));
    if (steps.length === 0) {
      lines.push(`  ${id} : ${label(stage.environment)} (${stage.result ? describeStageResult(stage.result) : 'not reached'})`);
      classes.push(`  class ${id} skipped`);
    } else {
      lines.push(`  state ${id} {`, '    direction LR');
      steps.forEach((s, i) => {
        const sid = nodeId(stage.environment, s.step, String(i));
        const mark = s.state === 'failed' ? ' ✗' : s.state === 'succeeded' ? ' ✓' : ' …';
        lines.push(`    ${sid} : ${s.step}${mark}`);
        if (i === 0) lines.push(`    [*] --> ${sid}`);
        else lines.push(`    ${nodeId(stage.environment, steps[i - 1]!.step, String(i - 1))} --> ${sid}${steps[i - 1]!.state === 'failed' ? ' : failed' : ''}`);
        classes.push(`  class ${sid} ${s.state === 'failed' ? 'failed' : 'taken'}`);
      });
      lines.push('  }');
    }
    lines.push(`  ${previous} --> ${id}`);
    previous = id;
  }
  const end = memory.summary ? nodeId('result', memory.summary.result) : undefined;
  if (end && memory.summary) {
    lines.push(`  ${end} : ${memory.summary.result === 'rolled-back' ? 'rolled back' : memory.summary.result}`, `  ${previous} --> ${end}`, `  ${end} --> [*]`);
    classes.push(`  class ${end} ${memory.summary.result === 'promoted' ? 'taken' : 'failed'}`);
  }
  return [...lines, ...classes].join('\n');
}

function stageSection(stage: StageMemory): string[] {
  const result = stage.result ?? (stage.steps.length > 0 ? 'running' : 'skipped');
  const took = stage.durationMs !== undefined ? ` (${formatDuration(stage.durationMs)})` : '';
  const out = [`### ${RESULT_MARK[result] ?? ''} ${md(stage.environment)}: ${result === 'rolled-back' ? 'rolled back' : result}${took}`, ''];
  const facts: string[] = [];
  if (stage.bookmark) facts.push(`Bookmark ${code(stage.bookmark)}`);
  if (stage.workerVersion) facts.push(`Worker version ${code(stage.workerVersion)}${stage.previousWorkerVersion ? ` (was ${code(stage.previousWorkerVersion)})` : ''}`);
  if (stage.migrations && stage.steps.length > 0) facts.push(stage.migrations.length === 0 ? 'No pending migrations' : `Migrations: ${stage.migrations.map(code).join(', ')}`);
  if (stage.seeds && stage.seeds.length > 0) facts.push(`Seeds: ${stage.seeds.map(code).join(', ')}`);
  if (facts.length > 0) out.push(facts.join(' · '), '');
  const steps = stage.steps.filter((s) => s.state !== 'started');
  if (steps.length > 0) {
    out.push('| Step | Result | Duration | Detail |', '|---|---|---|---|');
    for (const s of steps) {
      const detail = s.state === 'failed' ? describeFailure(s.step, s.error ?? '', s.detail).join('; ') : describeDetail(s.step, s.detail);
      out.push(`| ${s.step} | ${s.state === 'failed' ? '❌ failed' : '✅ done'} | ${s.durationMs !== undefined ? formatDuration(s.durationMs) : ''} | ${cell(detail)} |`);
    }
    out.push('');
  }
  for (const f of stage.fleets ?? []) {
    out.push(`Fleet ${code(f.binding)} (${f.total} tenants): ${md(describeFleetCounts(f.counts, []))}`, '');
    if (f.failed.length > 0) out.push(`Failed tenants: ${f.failed.slice(0, 50).map(code).join(', ')}${f.failed.length > 50 ? ` and ${f.failed.length - 50} more` : ''}`, '');
  }
  const rollout = stage.steps.find((s) => s.step === 'verify' && s.detail?.rollout)?.detail?.rollout ?? [];
  if (rollout.length > 0) {
    out.push('| Rollout step | Split | Result | Checks | Duration |', '|---|---|---|---|---|');
    for (const r of rollout) {
      const split = r.oldVersion ? `new ${code(r.newVersion)} ${r.percentage}% · old ${code(r.oldVersion)} ${100 - r.percentage}%` : `new ${code(r.newVersion)} ${r.percentage}%`;
      const passed = r.checks.filter((c) => c.ok).length;
      out.push(`| ${r.percentage}% | ${split} | ${r.ok ? '✅ passed' : '❌ failed'} | ${passed}/${r.checks.length} | ${formatDuration(r.durationMs)} |`);
    }
    out.push('');
  }
  const checks = stage.checks ?? [];
  if (checks.length > 0) {
    out.push('| Check | URL | Result | Status | Latency | Attempts |', '|---|---|---|---|---|---|');
    for (const c of checks) {
      const last = c.attempts.at(-1);
      const status = last?.status !== undefined && !last.noAnswer ? String(last.status) : 'no answer';
      const verdict = c.ok ? '✅ passed' : cell(`❌ ${oneLine(c.reason ?? last?.reason ?? (c.inconclusive ? 'inconclusive' : 'failed'))}`);
      out.push(`| ${cell(c.name)} | ${cell(c.url)} | ${verdict} | ${status} | ${last ? formatDuration(last.latencyMs) : ''} | ${c.attempts.length} |`);
    }
    out.push('');
  }
  return out;
}

function rollbackStory(stage: StageMemory): string[] {
  const rollback = stage.steps.find((s) => s.step === 'rollback' && s.state !== 'started');
  if (!rollback) return [];
  const failedStep = stage.steps.find((s) => s.state === 'failed' && s.step !== 'rollback' && s.step !== 'reverify');
  const out = [`**${md(stage.environment)}**`, ''];
  if (failedStep) {
    const checks = failedStep.detail?.checks?.filter((c) => !c.ok) ?? [];
    const why = checks.length > 0 ? checks.map(describeCheckFailure) : describeFailure(failedStep.step, failedStep.error ?? '', failedStep.detail);
    out.push(`1. ${failedStep.step} failed: ${md(why.join('; '))}`);
  }
  if (rollback.state === 'failed') {
    out.push(`${failedStep ? '2' : '1'}. the rollback failed: ${md(describeFailure('rollback', rollback.error ?? '', rollback.detail).join('; '))}`, '');
    return out;
  }
  out.push(`${failedStep ? '2' : '1'}. rolled back in ${formatDuration(rollback.durationMs ?? 0)}: ${md(describeDetail('rollback', rollback.detail))}`);
  const reverify = stage.steps.find((s) => s.step === 'reverify' && s.state !== 'started');
  if (reverify) out.push(`${failedStep ? '3' : '2'}. after the rollback, verification ${reverify.state === 'failed' ? '**failed again**' : 'passed'}`);
  out.push('');
  const lost = rollback.detail?.lostWritesWindowMs ?? stage.lostWritesWindowMs;
  if (lost !== undefined) {
    out.push('> [!WARNING]', `> ${md(describeLostWrites(rollback.detail?.bookmark ?? stage.bookmark, lost))}. Replay them from your logs if they matter.`, '');
  }
  return out;
}

/** Text into Markdown: no HTML, no accidental emphasis or links. */
function md(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_[\]|])/g, '\\$1');
}

/** Text into a table cell: one line, pipes escaped. */
function cell(text: string): string {
  return md(oneLine(text));
}

/** A code span that survives any content, also inside a table. */
function code(text: string): string {
  const body = text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const ticks = '`'.repeat((body.match(/`+/g) ?? []).reduce((n, run) => Math.max(n, run.length), 0) + 1);
  return ticks.length > 1 ? `${ticks} ${body} ${ticks}` : `\`${body}\``;
}

/** Mermaid labels: no colons, quotes or braces that would end the statement. */
function label(text: string): string {
  return text.replace(/[:;"{}]/g, ' ');
}

/**
 * At most `maxBytes` of UTF-8, cut at a line end, an open code fence closed, and
 * a note saying so. Returns '' when not even the note fits.
 */
export function truncateMarkdown(markdown: string, maxBytes: number): string {
  if (Buffer.byteLength(markdown) <= maxBytes) return markdown;
  const note = '\n> [!NOTE]\n> Summary cut at GitHub\'s 1 MiB step summary limit; the full story is in the run journal (promote status).\n';
  const fence = '\n```\n';
  const budget = maxBytes - Buffer.byteLength(note) - Buffer.byteLength(fence);
  if (budget <= 0) return '';
  let cut = Buffer.from(markdown).subarray(0, budget).toString('utf8');
  // A multi-byte character split at the edge decodes as U+FFFD: drop it with the partial line.
  const lastNewline = cut.lastIndexOf('\n');
  cut = lastNewline >= 0 ? cut.slice(0, lastNewline) : '';
  const open = (cut.match(/^```/gm) ?? []).length % 2 === 1;
  return `${cut}${open ? fence : '\n'}${note}`;
}

/** Append to the file GitHub names in GITHUB_STEP_SUMMARY, within what is left of its 1 MiB. */
export function appendStepSummary(file: string, markdown: string, limitBytes = STEP_SUMMARY_LIMIT_BYTES): void {
  let used = 0;
  try {
    used = statSync(file).size;
  } catch {
    // No file yet: the whole limit is ours.
  }
  const text = truncateMarkdown(markdown, limitBytes - used);
  if (text !== '') appendFileSync(file, text, 'utf8');
}
