/** A real node:http server on 127.0.0.1:0 for the verify tests; each test scripts its own responses. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HealthCheckSchema, type HealthCheck } from '../../../src/config/schema.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

export interface HealthServer {
  url: string;
  /** Requests seen so far, in order. */
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function startHealthServer(handler: Handler): Promise<HealthServer> {
  const requests: HealthServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bind, note the port, close. */
export async function closedPortUrl(): Promise<string> {
  const server = await startHealthServer(() => undefined);
  await server.close();
  return server.url;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A check as the config loader would produce it (defaults applied). */
export function healthCheck(input: Record<string, unknown>): HealthCheck {
  return HealthCheckSchema.parse(input);
}
