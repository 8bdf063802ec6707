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

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      const body = await request.json();
      if (url.pathname === '/batch') {
        const out = await runBatch(db(env, request.url, body.scratch ? 'S_' : 'D_'), body.statements);
        return Response.json({ success: true, result: out.map((r) => ({ results: r.results || [], meta: r.meta })) });
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
