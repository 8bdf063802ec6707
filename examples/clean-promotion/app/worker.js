// The clean-promotion Worker. /live only says the Worker runs; /health proves the
// database answers and reports the last applied migration and the seeded plans,
// which is what the environments' health checks compare (expect.json, a subset match).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/live') return new Response('ok\n');
    if (url.pathname === '/health') {
      try {
        const last = await env.DB.prepare('SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1').first();
        const plans = await env.DB.prepare('SELECT count(*) AS n FROM plans').first();
        return Response.json({
          ok: true,
          environment: env.ENVIRONMENT,
          lastMigration: last?.name ?? null,
          plans: plans.n,
        });
      } catch (error) {
        return Response.json({ ok: false, error: String(error?.message ?? error) }, { status: 503 });
      }
    }
    if (url.pathname === '/plans') {
      const { results } = await env.DB.prepare('SELECT code, name, price_cents FROM plans ORDER BY price_cents').all();
      return Response.json(results);
    }
    return new Response('clean-promotion example: try /health or /plans\n', { status: 404 });
  },
};
