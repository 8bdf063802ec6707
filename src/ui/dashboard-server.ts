/**
 * The dashboard's HTTP server (node:http): the page, server-sent events for the
 * live view, and the two on-demand reads. Read-only by construction: no route
 * changes anything, and the only POST (health checks) runs checks against what
 * already serves. A token, when set, is required on every request (query
 * `?token=` or `Authorization: Bearer`), compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidInputError } from '../errors.js';
import { formatProblem } from '../problems.js';
import type { DashboardModel } from './dashboard-model.js';
import { readRunFiles } from './read-runs.js';
import { renderEnvironments, renderPage, renderStatusHtml } from './render-page.js';
import { renderMatrix } from './render-matrix.js';
import { renderLive, renderRun, renderRunBody } from './render-runs.js';
import { buildRunView } from './run-model.js';
import { watchRuns } from './run-watcher.js';

export interface DashboardServerOptions {
  root: string;
  host: string;
  port: number;
  token?: string;
  loadModel: () => Promise<DashboardModel>;
  /** HTML fragments for the buttons. */
  health: (environment: string) => Promise<string>;
  plan: (to: string | undefined) => Promise<string>;
  pollMs?: number;
}

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

export async function startDashboardServer(opts: DashboardServerOptions): Promise<DashboardServer> {
  const clients = new Set<ServerResponse>();
  let seq = 0;
  const broadcast = (event: string, data: unknown): void => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(frame);
  };
  let matrixTimer: NodeJS.Timeout | undefined;
  const refreshMatrix = (): void => {
    clearTimeout(matrixTimer);
    // The finishing process lets go of its environments just after its summary.
    matrixTimer = setTimeout(() => {
      opts
        .loadModel()
        .then((m) => broadcast('matrix', { html: renderMatrix(m.matrix), environments: renderEnvironments(m) }))
        .catch(() => undefined);
    }, 800);
  };
  const stopWatching = watchRuns(
    opts.root,
    (runId) => {
      if (clients.size === 0) return;
      const view = buildRunView(readRunFiles(opts.root, runId));
      broadcast('run', { seq: ++seq, runId, result: view.result, html: renderRun(view), live: renderLive(view) });
      if (view.memory.summary) refreshMatrix();
    },
    { ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}) },
  );

  const expected = opts.token === undefined ? undefined : digest(opts.token);
  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (!expected) return true;
    const header = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    const given = header ?? url.searchParams.get('token');
    return given !== null && given !== undefined && timingSafeEqual(digest(given), expected);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (!authorized(req, url)) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' }).end('401: this dashboard needs its token: open the URL `promote ui` printed (?token=...)\n');
      return;
    }
    handle(req, res, url).catch((e: unknown) => {
      // Files edited into an invalid state while the server runs: say what is wrong, as `promote validate` would.
      const problems = e instanceof InvalidInputError ? e.problems.map(formatProblem) : [];
      const text = [`could not read the project: ${(e as Error)?.message ?? String(e)}`, ...problems, problems.length ? 'run `promote validate` after fixing, then reload' : ''].filter(Boolean).join('\n');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        return send(res, 200, 'text/html', renderPage(await opts.loadModel()));
      case 'GET /status.html':
        return send(res, 200, 'text/html', renderStatusHtml(await opts.loadModel()));
      case 'GET /events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(': connected\n\n');
        clients.add(res);
        const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(beat);
          clients.delete(res);
        });
        return;
      }
      case 'POST /api/health': {
        const env = url.searchParams.get('env');
        if (!env) return send(res, 400, 'text/plain', 'env is required\n');
        return send(res, 200, 'text/html', await opts.health(env));
      }
      case 'GET /api/run': {
        const id = url.searchParams.get('id') ?? '';
        // Run ids are folder names: nothing else may reach the file system.
        if (!/^r-[A-Za-z0-9-]+$/.test(id)) return send(res, 400, 'text/plain', 'id must be a run id (r-...)\n');
        return send(res, 200, 'text/html', renderRunBody(buildRunView(readRunFiles(opts.root, id))));
      }
      case 'GET /api/plan':
        return send(res, 200, 'text/html', await opts.plan(url.searchParams.get('to') ?? undefined));
      default:
        return send(res, req.method === 'GET' || req.method === 'POST' ? 404 : 405, 'text/plain', 'not here: this dashboard is read-only and has one page, /\n');
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: async () => {
      stopWatching();
      clearTimeout(matrixTimer);
      for (const c of clients) c.end();
      clients.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:" }).end(body);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
