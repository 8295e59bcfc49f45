/**
 * The scripted model fake (packages/model-fake) served on 127.0.0.1 for the end-to-end stack: agents whose model
 * `base_url` points here (allowed under the stack's development setting ALLOW_LOOPBACK_UPSTREAMS) call it over real
 * HTTP, through the AI SDK in the worker.
 */
import { scriptedModel, type ScriptedModel } from '@gatehouse/model-fake';
import { startHttpFake, type HttpFake } from './http-fake.js';

export interface ModelFakeServer extends HttpFake {
  model: ScriptedModel;
  /** The OpenAI-style base URL (`<url>/v1`). */
  baseUrl: string;
}

export async function startModelFake(): Promise<ModelFakeServer> {
  const model = scriptedModel();
  const server = await startHttpFake(async (req, raw, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const answer = await model.handle(
      new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: raw || undefined }),
    );
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(await answer.text());
  });
  return { ...server, model, baseUrl: `${server.url}/v1` };
}
