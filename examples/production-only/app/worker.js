// production-only, version 1 of the Worker.
//   GET  /health        the database answers
//   POST /canary        a synthetic write: the canary user writes a note (production's verify calls it)
//   POST /notes         {"email": "...", "body": "..."}: write a note as that user
//   GET  /notes/:id     one note and its author
const VERSION = 'v1';
const CANARY = 'canary@example.com';

async function writeNote(env, email, body) {
  await env.DB.prepare('INSERT OR IGNORE INTO users (email) VALUES (?)').bind(email).run();
  return env.DB.prepare('INSERT INTO notes (user_id, body) SELECT id, ? FROM users WHERE email = ? RETURNING id')
    .bind(body, email)
    .first();
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/health') {
        const row = await env.DB.prepare('SELECT count(*) AS users FROM users').first();
        return Response.json({ ok: true, version: VERSION, environment: env.ENVIRONMENT, users: row.users });
      }
      if (url.pathname === '/canary' && request.method === 'POST') {
        const note = await writeNote(env, CANARY, `canary write at ${new Date().toISOString()}`);
        return Response.json({ ok: true, id: note.id }, { status: 201 });
      }
      if (url.pathname === '/notes' && request.method === 'POST') {
        const { email, body } = await request.json();
        const note = await writeNote(env, String(email), String(body));
        return Response.json({ ok: true, id: note.id }, { status: 201 });
      }
      const match = /^\/notes\/(\d+)$/.exec(url.pathname);
      if (match) {
        const note = await env.DB.prepare(
          'SELECT notes.id, notes.body, users.email AS author FROM notes JOIN users ON users.id = notes.user_id WHERE notes.id = ?',
        )
          .bind(Number(match[1]))
          .first();
        return note ? Response.json({ ...note, version: VERSION }) : Response.json({ error: 'no such note', version: VERSION }, { status: 404 });
      }
      return new Response('not found\n', { status: 404 });
    } catch (error) {
      return Response.json({ ok: false, version: VERSION, error: String(error?.message ?? error) }, { status: 503 });
    }
  },
};
