/**
 * Source of the internal Worker that each local environment's Miniflare runs
 * beside the user's Worker. It exposes the environment's D1 databases over one
 * HTTP round trip per batch, so a whole migration plan costs one dispatchFetch
 * instead of one proxy call per statement (what keeps `promote migrate` close to
 * the raw speed of Miniflare).
 *
 * Bindings: D_<binding> is the environment's database, S_<binding> its scratch
 * twin for preflight. The response shape mirrors D1's REST API so errors read
 * the same on both targets.
 */
export const ADMIN_WORKER_SOURCE = /* js */ `
function db(env, url, prefix) {
  const name = new URL(url).searchParams.get('db');
  const d = env[prefix + name];
  if (!d) throw new Error('no database bound as ' + name);
  return d;
}

function fail(e, index) {
  const message = String((e && e.cause && e.cause.message) || (e && e.message) || e).replace(/^D1_ERROR: /, '');
  return Response.json({ success: false, errors: [{ code: 7500, message, index }] }, { status: 400 });
}

async function runBatch(d, statements) {
  const prepared = statements.map((s) => d.prepare(s.sql).bind(...(s.params || [])));
  return d.batch(prepared);
}

// Drop every user object of the scratch database, then create the schema, all in
// one transaction. Deferred foreign keys let parent tables go before children.
async function reset(d, schema) {
  const { results } = await d.prepare(
    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND type IN ('table','view','trigger')"
  ).all();
  const shadow = new Set((await d.prepare('PRAGMA table_list').all()).results
    .filter((t) => t.type === 'shadow').map((t) => t.name));
  const q = (n) => '"' + String(n).replace(/"/g, '""') + '"';
  const order = { trigger: 0, view: 1, table: 2 };
  const drops = results
    .filter((o) => !shadow.has(o.name))
    .sort((a, b) => order[a.type] - order[b.type])
    .map((o) => 'DROP ' + o.type.toUpperCase() + ' IF EXISTS ' + q(o.name));
  const sql = ['PRAGMA defer_foreign_keys = on', ...drops, ...schema];
  await d.batch(sql.map((s) => d.prepare(s)));
}

const INTERNAL = (n) => n.startsWith('sqlite_') || n.startsWith('_cf_');

function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// A consistent copy of every user object and row, taken in one transaction: the
// local stand-in for a D1 Time Travel bookmark. BLOBs travel as base64.
async function snapshot(d) {
  const [master, list] = await d.batch([
    d.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"),
    d.prepare('PRAGMA table_list'),
  ]);
  const shadow = new Set(list.results.filter((t) => t.type === 'shadow').map((t) => t.name));
  const objects = master.results.filter((o) => !INTERNAL(o.name) && !shadow.has(o.name));
  const tables = objects.filter((o) => o.type === 'table' && !/^CREATE\s+VIRTUAL/i.test(o.sql));
  const q = (n) => '"' + String(n).replace(/"/g, '""') + '"';
  const infos = tables.length ? await d.batch(tables.map((t) => d.prepare('PRAGMA table_xinfo(' + q(t.name) + ')'))) : [];
  const plans = tables.map((t, i) => {
    // generated columns cannot be inserted; tables with a rowid keep their rowids
    const columns = infos[i].results.filter((c) => c.hidden === 0).map((c) => c.name);
    const rowid = !/WITHOUT\s+ROWID/i.test(t.sql);
    return { name: t.name, columns, rowid };
  });
  const hasSeq = master.results.some((o) => o.name === 'sqlite_sequence');
  const ROWID = '__promote_rowid__';
  const reads = plans.map((p) => d.prepare('SELECT ' + [...(p.rowid ? ['_rowid_ AS ' + ROWID] : []), ...p.columns.map(q)].join(', ') + ' FROM ' + q(p.name)));
  const rows = reads.length ? await d.batch(reads) : [];
  const sequence = hasSeq ? (await d.prepare('SELECT name, seq FROM sqlite_sequence').all()).results : [];
  const data = plans.map((p, i) => {
    const keys = [...(p.rowid ? [ROWID] : []), ...p.columns];
    return {
      ...p,
      rows: rows[i].results.map((r) => keys.map((k) => (Array.isArray(r[k]) ? { $b: toBase64(r[k]) } : r[k]))),
    };
  });
  return { objects, tables: data, sequence };
}

// Puts a snapshot back in place of everything, in one transaction: tables, rows,
// AUTOINCREMENT counters, then indexes, views and triggers (after the rows, so
// triggers do not fire while restoring).
async function restore(d, snap) {
  const { results } = await d.prepare(
    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND type IN ('table','view','trigger')"
  ).all();
  const shadow = new Set((await d.prepare('PRAGMA table_list').all()).results.filter((t) => t.type === 'shadow').map((t) => t.name));
  const q = (n) => '"' + String(n).replace(/"/g, '""') + '"';
  const order = { trigger: 0, view: 1, table: 2 };
  const stmts = [d.prepare('PRAGMA defer_foreign_keys = on')];
  for (const o of results.filter((o) => !shadow.has(o.name)).sort((a, b) => order[a.type] - order[b.type])) {
    stmts.push(d.prepare('DROP ' + o.type.toUpperCase() + ' IF EXISTS ' + q(o.name)));
  }
  for (const o of snap.objects.filter((o) => o.type === 'table')) stmts.push(d.prepare(o.sql));
  for (const t of snap.tables) {
    const cols = [...(t.rowid ? ['_rowid_'] : []), ...t.columns];
    const sql = 'INSERT INTO ' + q(t.name) + ' (' + cols.map((c) => (c === '_rowid_' ? c : q(c))).join(', ') + ') VALUES (' + cols.map(() => '?').join(', ') + ')';
    for (const row of t.rows) stmts.push(d.prepare(sql).bind(...row.map((v) => (v && typeof v === 'object' && '$b' in v ? fromBase64(v.$b) : v))));
  }
  if (snap.sequence.length) {
    stmts.push(d.prepare('DELETE FROM sqlite_sequence'));
    for (const s of snap.sequence) stmts.push(d.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').bind(s.name, s.seq));
  }
  for (const o of snap.objects.filter((o) => o.type !== 'table')) stmts.push(d.prepare(o.sql));
  await d.batch(stmts);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      const body = await request.json();
      if (url.pathname === '/batch') {
        const out = await runBatch(db(env, request.url, body.scratch ? 'S_' : 'D_'), body.statements);
        return Response.json({ success: true, result: out.map((r) => ({ results: r.results || [], meta: r.meta })) });
      }
      if (url.pathname === '/snapshot') {
        return Response.json({ success: true, result: await snapshot(db(env, request.url, 'D_')) });
      }
      if (url.pathname === '/restore') {
        await restore(db(env, request.url, 'D_'), body.snapshot);
        return Response.json({ success: true, result: [] });
      }
      if (url.pathname === '/reset') {
        await reset(db(env, request.url, 'S_'), body.schema);
        return Response.json({ success: true, result: [] });
      }
      return Response.json({ success: false, errors: [{ code: 7404, message: 'not found' }] }, { status: 404 });
    } catch (e) {
      return fail(e);
    }
  },
};
`;
