/**
 * The scripted model served on 127.0.0.1 (Node's http server), for the end-to-end stack and the bench: agents whose
 * model `base_url` points here (allowed under the development setting ALLOW_LOOPBACK_UPSTREAMS) call it over real
 * HTTP, through the AI SDK in the worker.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { scriptedModel, type ScriptedModel } from './index.js';

export interface ModelFakeServer {
  model: ScriptedModel;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The OpenAI-style base URL (`<url>/v1`). */
  baseUrl: string;
  close(): Promise<void>;
}

/** Starts a server answering from a new script (push turns to `model`). */
export async function startModelFake(): Promise<ModelFakeServer> {
  const model = scriptedModel();
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const answer = await model.handle(
      new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: raw || undefined }),
    );
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(await answer.text());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    model,
    url,
    baseUrl: `${url}/v1`,
    async close() {
      server.close();
      await once(server, 'close');
    },
  };
}
