/**
 * The page's only script, inline (no build step, nothing fetched from elsewhere):
 * keyboard navigation of the matrix, the detail panel, the on-demand health checks
 * and plan, and the live view over server-sent events. Plain DOM code, written as
 * a string because it runs in the browser, not in Node.
 */
export const PAGE_SCRIPT = String.raw`
(() => {
  const token = new URLSearchParams(location.search).get('token');
  const withToken = (url) => token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url;
  const $ = (sel, el = document) => el.querySelector(sel);
  const detail = $('#cell-detail');

  // ---- matrix: a grid with one tab stop; arrows, Home/End, PageUp/PageDown move; Enter or click explains.
  function show(cell) {
    if (!detail) return;
    document.querySelectorAll('td.cell.selected').forEach((c) => c.classList.remove('selected'));
    cell.classList.add('selected');
    const lines = (cell.title || '').split('\n').filter(Boolean);
    const cmd = cell.dataset.command;
    detail.replaceChildren();
    const head = document.createElement('strong');
    head.textContent = cell.parentElement.dataset.migration + ' in ' + cell.dataset.env + ': ' + cell.textContent;
    detail.append(head);
    for (const l of lines) { const p = document.createElement('div'); p.textContent = l; detail.append(p); }
    if (cmd) { const p = document.createElement('div'); p.append('run: '); const c = document.createElement('code'); c.className = 'cmd'; c.textContent = cmd; p.append(c); detail.append(p); }
  }
  function move(from, to) {
    if (!to) return;
    from.removeAttribute('tabindex'); to.tabIndex = 0; to.focus(); show(to);
  }
  document.addEventListener('click', (e) => {
    const cell = e.target.closest && e.target.closest('td.cell');
    if (cell) { const cur = document.querySelector('td.cell[tabindex="0"]'); if (cur && cur !== cell) cur.removeAttribute('tabindex'); cell.tabIndex = 0; cell.focus(); show(cell); }
  });

  // ---- a run's story, read when it is opened
  document.addEventListener('toggle', async (e) => {
    const run = e.target;
    if (!run.matches || !run.matches('details.run') || !run.open) return;
    const body = run.querySelector(':scope > .run-body[data-lazy]');
    if (!body) return;
    try {
      const res = await fetch(withToken('/api/run?id=' + encodeURIComponent(run.dataset.run)));
      body.innerHTML = await res.text();
      body.removeAttribute('data-lazy');
    } catch (err) {
      body.textContent = 'could not read the run: ' + err;
    }
  }, true);
  document.addEventListener('keydown', (e) => {
    const cell = e.target.closest && e.target.closest('td.cell');
    if (!cell) return;
    const row = cell.parentElement;
    const cells = [...row.querySelectorAll('td.cell')];
    const col = cells.indexOf(cell);
    const rows = [...row.parentElement.children];
    const r = rows.indexOf(row);
    const at = (ri) => rows[Math.max(0, Math.min(rows.length - 1, ri))].querySelectorAll('td.cell')[col];
    let to;
    switch (e.key) {
      case 'ArrowRight': to = cells[col + 1]; break;
      case 'ArrowLeft': to = cells[col - 1]; break;
      case 'ArrowDown': to = at(r + 1); break;
      case 'ArrowUp': to = at(r - 1); break;
      case 'Home': to = cells[0]; break;
      case 'End': to = cells[cells.length - 1]; break;
      case 'PageDown': to = at(r + 10); break;
      case 'PageUp': to = at(r - 10); break;
      case 'Enter': case ' ': show(cell); e.preventDefault(); return;
      default: return;
    }
    e.preventDefault();
    if (to && to !== cell) move(cell, to);
  });

  // ---- health checks on demand
  document.addEventListener('click', async (e) => {
    const button = e.target.closest && e.target.closest('button[data-health]');
    if (!button) return;
    const env = button.dataset.health;
    const out = document.getElementById('health-' + env);
    button.disabled = true;
    out.textContent = 'running the checks…';
    try {
      const res = await fetch(withToken('/api/health?env=' + encodeURIComponent(env)), { method: 'POST' });
      out.innerHTML = await res.text();
    } catch (err) {
      out.textContent = 'could not run the checks: ' + err;
    } finally {
      button.disabled = false;
    }
  });

  // ---- plan for a target
  const planForm = $('#plan-form');
  if (planForm) planForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const to = $('#plan-to').value;
    const out = $('#plan-result');
    out.textContent = 'reading the environments…';
    const res = await fetch(withToken('/api/plan?to=' + encodeURIComponent(to)));
    out.innerHTML = await res.text();
  });

  // ---- live view
  if (!document.body.dataset.live) return;
  const dot = $('#live-dot');
  const status = $('#live-status');
  const seen = (window.promoteTransitions = []);
  const source = new EventSource(withToken('/events'));
  source.onopen = () => { dot && dot.classList.add('on'); status && (status.textContent = 'connected'); };
  source.onerror = () => { dot && dot.classList.remove('on'); status && (status.textContent = 'reconnecting…'); };
  source.addEventListener('run', (e) => {
    const data = JSON.parse(e.data);
    const live = $('#live');
    if (live && data.live) live.innerHTML = data.live;
    const old = document.getElementById('run-' + data.runId);
    const tpl = document.createElement('template');
    tpl.innerHTML = data.html;
    const fresh = tpl.content.firstElementChild;
    if (old) { fresh.open = old.open; old.replaceWith(fresh); }
    else { const list = $('#runs-list'); const empty = list.querySelector('p.muted'); if (empty) empty.remove(); let runs = list.querySelector('.runs'); if (!runs) { runs = document.createElement('div'); runs.className = 'runs'; list.append(runs); } runs.prepend(fresh); }
    // For tests and the benchmark: when this transition reached the screen.
    requestAnimationFrame(() => {
      const step = document.querySelector('#live .live-step');
      seen.push({ seq: data.seq, runId: data.runId, result: data.result, now: step ? step.textContent : '', paintedAt: Date.now() });
      document.body.dataset.lastRun = data.runId;
      document.body.dataset.lastSeq = String(data.seq);
    });
  });
  source.addEventListener('matrix', (e) => {
    const data = JSON.parse(e.data);
    const m = $('#matrix');
    if (m) m.innerHTML = data.html;
    const envs = $('#envs');
    if (envs && data.environments) envs.innerHTML = data.environments;
  });
})();
`;
