// The example Worker. Its /health proves the database answers and says which
// migration it is at, which is what promote's health checks look at.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/health') {
      try {
        const row = await env.DB.prepare('SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1').first();
        return Response.json({ ok: true, environment: env.ENVIRONMENT ?? 'dev', lastMigration: row?.name ?? null });
      } catch (error) {
        return Response.json({ ok: false, error: String(error?.message ?? error) }, { status: 503 });
      }
    }
    if (url.pathname === '/notes') {
      const { results } = await env.DB.prepare('SELECT id, body, created_at FROM notes ORDER BY id DESC LIMIT 50').all();
      return Response.json(results);
    }
    return new Response('promote example worker: try /health\n');
  },
};
