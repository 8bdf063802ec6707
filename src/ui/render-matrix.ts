/**
 * The matrix as an HTML table (pure). A keyboard grid: one cell is in the Tab
 * order at a time and the arrow keys move between cells (page-script.ts); every
 * cell says its state in words, colour only repeats it.
 */
import { escapeHtml } from './html.js';
import type { MatrixTable } from './matrix-model.js';

export function renderMatrix(tables: readonly MatrixTable[]): string {
  if (tables.length === 0) return '<p class="muted">No databases in any environment.</p>';
  let first = true;
  return tables
    .map((t) => {
      const head = t.columns
        .map((c) => {
          const notes = [
            `<span class="target">${escapeHtml(c.target)}</span>`,
            c.unavailable ? `<span class="note busy">${escapeHtml(c.unavailable)}</span>` : '',
            c.schema ? `<span class="note${c.schema.drift ? ' schema-drift' : ''}">${c.schema.drift ? '! ' : ''}${escapeHtml(c.schema.text)}</span>` : '',
          ].join('');
          return `<th scope="col" data-env="${escapeHtml(c.environment)}"><span class="env-name">${escapeHtml(c.environment)}</span>${notes}</th>`;
        })
        .join('');
      const body = t.rows
        .map((r) => {
          // Kept small: 10 x 500 cells is 5000 of these. The title holds the detail lines
          // (hover), the script shows the same lines on click or Enter; cells join the
          // Tab order one at a time (roving tabindex), so only the first carries one.
          const cells = r.cells
            .map((cell, i) => {
              const env = t.columns[i]!.environment;
              const tabindex = first ? ' tabindex="0"' : '';
              first = false;
              const title = cell.detail.join('\n');
              return `<td class="cell s-${cell.state}"${tabindex} data-env="${escapeHtml(env)}" data-state="${cell.state}" title="${escapeHtml(title)}"${cell.command ? ` data-command="${escapeHtml(cell.command)}"` : ''}>${escapeHtml(cell.text)}</td>`;
            })
            .join('');
          return `<tr data-migration="${escapeHtml(r.migration)}"><th scope="row" class="migration">${escapeHtml(r.migration)}</th>${cells}</tr>`;
        })
        .join('\n');
      return `<div class="matrix-wrap"><table class="matrix" role="grid" aria-label="migrations of ${escapeHtml(t.binding)} per environment" data-binding="${escapeHtml(t.binding)}">
<caption>Database <code>${escapeHtml(t.binding)}</code>: ${t.rows.length} migration${t.rows.length === 1 ? '' : 's'}</caption>
<thead><tr><th scope="col" class="corner">migration</th>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
    })
    .join('\n');
}

export const MATRIX_LEGEND = `<p class="legend" aria-label="legend"><span class="cell s-applied">✓ applied</span> <span class="cell s-pending">• pending</span> <span class="cell s-drift">! drift (file changed)</span> <span class="cell s-missing">! file missing</span> <span class="cell s-renamed">→ renamed</span> <span class="cell s-unverified">✓? applied by another tool</span> <span class="cell s-unknown">? could not read</span></p>`;
