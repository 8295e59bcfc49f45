/**
 * The plumbing every local vendor fake shares: an HTTP server on 127.0.0.1 (loopback only), the request body read
 * whole before the handler runs, and a close that waits for the server to stop.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface HttpFake {
  url: string;
  close(): Promise<void>;
}

/** Starts a fake; `handle` gets the request, its raw body and the response. */
export async function startHttpFake(
  handle: (req: IncomingMessage, raw: string, res: ServerResponse) => void | Promise<void>,
): Promise<HttpFake> {
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    await handle(req, raw, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.close();
      await once(server, 'close');
    },
  };
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(json));
}
