// The demo app: one tenant's notes. /health answers when the tenant's database does.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/health') {
      try {
        const row = await env.DB.prepare('SELECT count(*) AS n FROM d1_migrations').first();
        return Response.json({ ok: true, migrations: row?.n ?? 0, environment: env.ENVIRONMENT });
      } catch (e) {
        return Response.json({ ok: false, error: String(e.message ?? e) }, { status: 503 });
      }
    }
    return new Response('fleet demo\n');
  },
};
