// staging-breaks, version 1 of the Worker.
//   /live    the Worker runs (no database): dev's only check
//   /health  the database answers the query the app depends on: staging's and production's check
//   /notes   the app itself
const VERSION = 'v1';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/live') return new Response(`ok ${VERSION}\n`);
    if (url.pathname === '/health') {
      try {
        const row = await env.DB.prepare('SELECT count(*) AS notes, max(title) AS latestTitle FROM notes').first();
        return Response.json({ ok: true, version: VERSION, environment: env.ENVIRONMENT, notes: row.notes });
      } catch (error) {
        return Response.json({ ok: false, version: VERSION, error: String(error?.message ?? error) }, { status: 503 });
      }
    }
    if (url.pathname === '/notes') {
      const { results } = await env.DB.prepare('SELECT id, title, body FROM notes ORDER BY id DESC LIMIT 50').all();
      return Response.json(results);
    }
    return new Response('not found\n', { status: 404 });
  },
};
