/**
 * A fake GitHub REST API with state: deployments and their statuses, issue
 * comments (paginated with Link headers, as GitHub does). Answers can be scripted
 * per request. Like GitHub, it takes the token as `Bearer <t>` or `token <t>`.
 */
import { startRecordingServer, type RecordedRequest, type Reply } from './http-recorder.js';

export interface FakeDeployment {
  id: number;
  ref: string;
  environment: string;
  body: Record<string, unknown>;
  statuses: Record<string, unknown>[];
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  deployments: FakeDeployment[];
  comments: Map<number, { id: number; body: string }[]>;
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

export const FAKE_GITHUB_TOKEN = 'ghs_faketoken1234567890';

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const scripted: Reply[] = [];
  const deployments: FakeDeployment[] = [];
  const comments = new Map<number, { id: number; body: string }[]>();
  let nextId = 1000;
  const server = await startRecordingServer((req) => {
    const next = scripted.shift();
    if (next) return next;
    if (!/^(bearer|token) /i.test(req.headers.authorization ?? '') || req.headers.authorization!.replace(/^\S+ /, '') !== FAKE_GITHUB_TOKEN) return { status: 401, body: { message: 'Bad credentials' } };
    const body = (req.body ?? {}) as Record<string, unknown>;
    let m: RegExpMatchArray | null;
    if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/deployments$/.test(req.path)) {
      if (typeof body.ref !== 'string') return { status: 422, body: { message: 'ref is required' } };
      const d: FakeDeployment = { id: ++nextId, ref: body.ref, environment: String(body.environment), body, statuses: [] };
      deployments.push(d);
      return { status: 201, body: { id: d.id, ref: d.ref, environment: d.environment } };
    }
    if (req.method === 'POST' && (m = req.path.match(/^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/))) {
      const d = deployments.find((x) => x.id === Number(m![1]));
      if (!d) return { status: 404, body: { message: 'Not Found' } };
      d.statuses.push(body);
      return { status: 201, body: { id: ++nextId, state: body.state } };
    }
    if ((m = req.path.match(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
      const list = comments.get(Number(m[1])) ?? [];
      comments.set(Number(m[1]), list);
      if (req.method === 'GET') {
        const perPage = Number(req.query.get('per_page') ?? 30);
        const page = Number(req.query.get('page') ?? 1);
        const link = (p: number, rel: string) => `<http://${req.headers.host}${req.path}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
        const last = Math.max(1, Math.ceil(list.length / perPage));
        const links = [...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []), ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : [])];
        return { status: 200, body: list.slice((page - 1) * perPage, page * perPage), ...(links.length > 0 ? { headers: { link: links.join(', ') } } : {}) };
      }
      if (req.method === 'POST') {
        const c = { id: ++nextId, body: String(body.body) };
        list.push(c);
        return { status: 201, body: c };
      }
    }
    if (req.method === 'PATCH' && (m = req.path.match(/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/))) {
      for (const list of comments.values()) {
        const c = list.find((x) => x.id === Number(m![1]));
        if (c) {
          c.body = String(body.body);
          return { status: 200, body: c };
        }
      }
      return { status: 404, body: { message: 'Not Found' } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  });
  return { url: server.url, requests: server.requests, deployments, comments, script: (...r) => void scripted.push(...r), close: server.close };
}
