/**
 * The run's path through the machine as inline SVG: the same picture as the
 * Mermaid diagram of the GitHub job summary (buildStateDiagram in
 * notify/github/step-summary.ts), drawn here because the page must not load a
 * renderer from a CDN, and vendoring Mermaid (several MB with a DOM-based layout
 * engine) would cost more than the whole page. Same nodes, same classes: every
 * stage entered is a box holding the steps it took in order (✓ done, ✗ failed,
 * … in flight), stages never entered are grey, the run's result closes the path.
 * Stages stack top to bottom so a three-stage run stays readable without scrolling.
 */
import { describeStageResult } from '../notify/describe.js';
import type { RunMemory } from '../notify/run-memory.js';
import { escapeHtml } from './html.js';

const STEP_W = 96;
const STEP_H = 30;
const GAP = 22;
const PAD = 12;
const TITLE_H = 22;
const STAGE_GAP = 26;

export function drawStatePath(memory: RunMemory): string {
  const parts: string[] = [];
  const words: string[] = [];
  let y = PAD;
  let width = 0;
  const x0 = PAD;
  // Start dot, like Mermaid's [*].
  parts.push(`<circle cx="${x0 + 8}" cy="${y + 8}" r="7" class="sp-start"/>`);
  y += 16;
  for (const stage of memory.stages) {
    const steps = stage.steps.filter((s) => s.state !== 'started' || s === stage.steps.at(-1));
    parts.push(arrow(x0 + 8, y, x0 + 8, y + STAGE_GAP - 4));
    y += STAGE_GAP;
    if (steps.length === 0) {
      const text = `${stage.environment} (${stage.result ? describeStageResult(stage.result) : 'not reached'})`;
      const w = Math.max(140, text.length * 7.4 + 20);
      parts.push(`<rect x="${x0}" y="${y}" width="${w}" height="${STEP_H}" rx="6" class="sp-skipped"/>`, label(x0 + w / 2, y + STEP_H / 2, text, 'sp-skipped-text'));
      words.push(text);
      width = Math.max(width, x0 + w);
      y += STEP_H;
      continue;
    }
    const boxW = PAD * 2 + steps.length * STEP_W + (steps.length - 1) * GAP;
    const boxH = TITLE_H + STEP_H + PAD * 2;
    parts.push(`<rect x="${x0}" y="${y}" width="${boxW}" height="${boxH}" rx="8" class="sp-stage"/>`);
    parts.push(`<text x="${x0 + PAD}" y="${y + 16}" class="sp-title">${escapeHtml(stage.environment)}${stage.result ? ` · ${escapeHtml(describeStageResult(stage.result))}` : ''}</text>`);
    const sy = y + TITLE_H + PAD;
    steps.forEach((s, i) => {
      const sx = x0 + PAD + i * (STEP_W + GAP);
      const cls = s.state === 'failed' ? 'sp-failed' : s.state === 'started' ? 'sp-running' : 'sp-taken';
      const mark = s.state === 'failed' ? ' ✗' : s.state === 'succeeded' ? ' ✓' : ' …';
      parts.push(`<rect x="${sx}" y="${sy}" width="${STEP_W}" height="${STEP_H}" rx="6" class="${cls}"><title>${escapeHtml(`${s.step}: ${s.state}${s.durationMs !== undefined ? `, ${s.durationMs} ms` : ''}`)}</title></rect>`);
      parts.push(label(sx + STEP_W / 2, sy + STEP_H / 2, `${s.step}${mark}`, s.state === 'failed' ? 'sp-failed-text' : ''));
      if (i > 0) parts.push(arrow(sx - GAP, sy + STEP_H / 2, sx - 2, sy + STEP_H / 2));
    });
    words.push(`${stage.environment}: ${steps.map((s) => `${s.step} ${s.state === 'started' ? 'running' : s.state}`).join(', ')}`);
    width = Math.max(width, x0 + boxW);
    y += boxH;
  }
  if (memory.summary) {
    const text = memory.summary.result === 'rolled-back' ? 'rolled back' : memory.summary.result;
    parts.push(arrow(x0 + 8, y, x0 + 8, y + STAGE_GAP - 4));
    y += STAGE_GAP;
    const w = Math.max(110, text.length * 8 + 24);
    parts.push(`<rect x="${x0}" y="${y}" width="${w}" height="${STEP_H}" rx="15" class="${memory.summary.result === 'promoted' ? 'sp-taken' : 'sp-failed'}"/>`, label(x0 + w / 2, y + STEP_H / 2, text, 'sp-result'));
    words.push(`result: ${text}`);
    width = Math.max(width, x0 + w);
    y += STEP_H;
  }
  const h = y + PAD;
  const w = width + PAD;
  return `<svg class="state-path" role="img" aria-label="${escapeHtml(`path: ${words.join('; ')}`)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function label(x: number, y: number, text: string, cls: string): string {
  return `<text x="${x}" y="${y}" text-anchor="middle" dominant-baseline="central" class="sp-label ${cls}">${escapeHtml(text)}</text>`;
}

function arrow(x1: number, y1: number, x2: number, y2: number): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" class="sp-edge" marker-end="url(#sp-arrow)"/>`;
}

/** Once per page: the arrow head the edges point with. */
export const STATE_PATH_DEFS = `<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs><marker id="sp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs></svg>`;
