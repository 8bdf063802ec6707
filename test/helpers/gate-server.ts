/**
 * A health check that answers when the test says so: a real HTTP server on
 * 127.0.0.1 whose /hold requests wait until release(). Put it in an environment's
 * health checks and the run holding that environment's lock keeps it, in its
 * verify step, for exactly as long as the test needs; no soak long enough "on
 * this machine's load".
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gate {
  /** The check to append to an environment's health list. */
  healthCheck: string;
  /** How many requests arrived so far (held or answered). */
  readonly requests: number;
  /** Resolves when the n-th request arrives. */
  arrived(n: number): Promise<void>;
  /** Answers every held request 200, and every later one at once. */
  release(): void;
  close(): Promise<void>;
}

export async function startGate(): Promise<Gate> {
  const held: ServerResponse[] = [];
  const watchers: { n: number; resolve: () => void }[] = [];
  let requests = 0;
  let open = false;
  const answer = (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  const server = createServer((_req, res) => {
    requests += 1;
    for (const w of watchers.filter((w) => w.n <= requests)) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve();
    }
    if (open) answer(res);
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    healthCheck: `  - url: http://127.0.0.1:${port}/hold\n    timeout: 120s\n    retries: 0\n    expect:\n      status: 200\n`,
    get requests() {
      return requests;
    },
    arrived: (n) => (requests >= n ? Promise.resolve() : new Promise((resolve) => watchers.push({ n, resolve }))),
    release() {
      open = true;
      for (const res of held.splice(0)) answer(res);
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of held.splice(0)) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
