// staging-breaks, version 2 of the Worker: the change renamed notes.title to
// headline and /notes was updated, but /health was forgotten and still
// selects title. Against the migrated database that query fails.
const VERSION = 'v2';

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
      const { results } = await env.DB.prepare('SELECT id, headline, body FROM notes ORDER BY id DESC LIMIT 50').all();
      return Response.json(results);
    }
    return new Response('not found\n', { status: 404 });
  },
};
