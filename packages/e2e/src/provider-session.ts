/**
 * What the per-provider end-to-end tests share: an MCP SDK client connected to the stack with the admin's API token,
 * installing a provider over the integrations worker's HTTP API (credential paste or OAuth start), and waiting for the
 * agent session a webhook produces (dispatch goes through a queue, so it lands shortly after the 202).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { inject } from 'vitest';

export type ToolResult = Awaited<ReturnType<Client['callTool']>>;

/** The text of a tool result's first content block. */
export const resultText = (r: ToolResult) => (r.content as { text: string }[])[0]!.text;

export async function connectAdminClient(name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(inject('mcpUrl')), {
      requestInit: { headers: { Authorization: `Bearer ${inject('adminToken')}` } },
    }),
  );
  return client;
}

export interface InstallAnswer {
  installation: { id: string; handle: string; status?: string };
  webhook_url: string;
  authorization_url?: string;
}

/** POST /install/<provider> with the admin token; the answer must be 201. */
export async function installProvider(provider: string, body: Record<string, unknown>): Promise<InstallAnswer> {
  const res = await fetch(`${inject('integrationsUrl')}/install/${provider}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${inject('adminToken')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as InstallAnswer;
  if (res.status !== 201) throw new Error(`install of ${provider} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Polls list_sessions until the session on `thread` appears (or 10 s pass); returns it, or undefined. */
export async function waitForSession(
  client: Client,
  thread: string,
): Promise<{ id: string; thread: string } | undefined> {
  for (let i = 0; i < 100; i++) {
    const listed = JSON.parse(resultText(await client.callTool({ name: 'list_sessions', arguments: {} }))) as {
      sessions: { id: string; thread: string }[];
    };
    const session = listed.sessions.find((s) => s.thread === thread);
    if (session) return session;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/**
 * Creates an agent that works the sessions of one installation, with its model at `modelBaseUrl` (the model fake)
 * and the fake's key; answers its name. Delete it with `delete_agent` when the test ends.
 */
export async function createSessionAgent(
  client: Client,
  options: { name: string; installationHandle: string; modelBaseUrl: string; apiKey: string },
): Promise<void> {
  const created = await client.callTool({
    name: 'create_agent',
    arguments: {
      name: options.name,
      instructions: 'Answer the thread in one sentence.',
      model: { provider: 'openai-compatible', model: 'llama-test', base_url: options.modelBaseUrl },
      api_key: options.apiKey,
      // This installation only: other tests' sessions are not this agent's.
      handles: [options.installationHandle],
    },
  });
  if (created.isError) throw new Error(`create_agent failed: ${resultText(created)}`);
}

/** Polls get_session until the session has an `agent.reply` event (or 20 s pass); answers its events' names. */
export async function waitForAgentReply(client: Client, sessionId: string): Promise<string[]> {
  let events: string[] = [];
  for (let i = 0; i < 200; i++) {
    const detail = JSON.parse(
      resultText(await client.callTool({ name: 'get_session', arguments: { session_id: sessionId } })),
    ) as { events: { event: string }[] };
    events = detail.events.map((e) => e.event);
    if (events.includes('agent.reply')) return events;
    await new Promise((r) => setTimeout(r, 100));
  }
  return events;
}
