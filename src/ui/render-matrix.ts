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
          const cells = r.cells
            .map((cell, i) => {
              const env = t.columns[i]!.environment;
              const tabindex = first ? '0' : '-1';
              first = false;
              const title = [...cell.detail, ...(cell.command ? [`run: ${cell.command}`] : [])].join('\n');
              return `<td role="gridcell" tabindex="${tabindex}" class="cell s-${cell.state}" data-env="${escapeHtml(env)}" data-migration="${escapeHtml(r.migration)}" data-state="${cell.state}" title="${escapeHtml(title)}" data-detail="${escapeHtml(JSON.stringify(cell.detail))}"${cell.command ? ` data-command="${escapeHtml(cell.command)}"` : ''}>${escapeHtml(cell.text)}</td>`;
            })
            .join('');
          return `<tr><th scope="row" class="migration">${escapeHtml(r.migration)}</th>${cells}</tr>`;
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
