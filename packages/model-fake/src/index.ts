/**
 * A scripted model server for tests: answers the OpenAI chat-completions API (`POST …/chat/completions`,
 * https://platform.openai.com/docs/api-reference/chat/create) and the Anthropic Messages API (`POST …/messages`,
 * https://docs.anthropic.com/en/api/messages) from a script of turns, one turn per request, in order. Web-standard
 * (a `Request → Response` handler), so the in-runtime tests mount it as a fake host and the end-to-end tests serve it
 * on 127.0.0.1. Non-streaming only (the gateway calls models with `generateText`).
 *
 * Every request is kept (`requests`) so a test can assert what the model was shown: the system prompt, the tools
 * offered, the tool results. A request past the end of the script answers 500 with `script exhausted`, so a run that
 * calls the model more often than the test expects fails visibly; a request without the expected API key answers
 * 401, and a conversation answering one tool call twice 400, the way the vendors do.
 */

/** One scripted answer. */
export type ModelTurn =
  | {
      /** Final text (with no tool calls the turn ends the run). */
      text?: string;
      /** Tool calls the model makes; `arguments` is the JSON object passed. */
      toolCalls?: { name: string; arguments: Record<string, unknown> }[];
      /** Token usage reported (defaults: 10 in, 5 out). */
      usage?: { input: number; output: number };
      /** Milliseconds to wait before answering (slowness, timeouts). */
      delayMs?: number;
      /** `length` reports a truncated answer (max_tokens reached). */
      finish?: 'stop' | 'length';
    }
  | {
      /** An HTTP error the vendor would send (e.g. 500, 529 overloaded, 429). */
      status: number;
      delayMs?: number;
    };

/** A request the fake received, as the API saw it. */
export interface ModelRequest {
  api: 'openai' | 'anthropic';
  path: string;
  authorization: string | null;
  body: {
    model?: string;
    messages?: unknown[];
    system?: unknown;
    tools?: unknown[];
    max_tokens?: number;
    max_completion_tokens?: number;
  };
}

export interface ScriptedModel {
  /** The handler: mount it as a fake host or serve it (packages/e2e model-fake-server.ts). */
  handle(req: Request): Promise<Response>;
  /** Appends turns to the script. */
  push(...turns: ModelTurn[]): void;
  /** Requests received so far, oldest first. */
  readonly requests: ModelRequest[];
  /** Turns not answered yet. */
  readonly pending: number;
}

/** The API key every request must carry (`Authorization: Bearer` for OpenAI, `x-api-key` for Anthropic). */
export const FAKE_MODEL_API_KEY = 'sk-fake-model-key-0123456789';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A model server answering from `turns` (more can be pushed later). */
export function scriptedModel(turns: ModelTurn[] = [], apiKey = FAKE_MODEL_API_KEY): ScriptedModel {
  const script = [...turns];
  const requests: ModelRequest[] = [];
  let callSeq = 0;
  return {
    requests,
    get pending() {
      return script.length;
    },
    push(...more) {
      script.push(...more);
    },
    async handle(req) {
      const path = new URL(req.url).pathname;
      const api = path.endsWith('/chat/completions') ? 'openai' : path.endsWith('/messages') ? 'anthropic' : null;
      if (req.method !== 'POST' || !api)
        return Response.json({ error: `no route ${req.method} ${path}` }, { status: 404 });
      const key =
        api === 'openai' ? req.headers.get('authorization')?.replace(/^Bearer /, '') : req.headers.get('x-api-key');
      const body = (await req.json()) as ModelRequest['body'];
      requests.push({ api, path, authorization: key ?? null, body });
      if (key !== apiKey) return vendorError(api, 401, 'invalid x-api-key');
      const duplicate = duplicateToolResult(api, body.messages ?? []);
      if (duplicate) return vendorError(api, 400, `two tool results answer tool call ${duplicate}`);
      const turn = script.shift();
      if (!turn) return vendorError(api, 500, 'script exhausted: the test scripted fewer model calls');
      if (turn.delayMs) await sleep(turn.delayMs);
      if ('status' in turn) return vendorError(api, turn.status, `scripted failure ${turn.status}`);
      const calls = (turn.toolCalls ?? []).map((c) => ({ ...c, id: `call_${++callSeq}` }));
      const usage = turn.usage ?? { input: 10, output: 5 };
      return Response.json(
        api === 'openai' ? openAiAnswer(body, turn, calls, usage) : anthropicAnswer(body, turn, calls, usage),
      );
    },
  };
}

type Call = { id: string; name: string; arguments: Record<string, unknown> };
type Usage = { input: number; output: number };
type Answer = Extract<ModelTurn, { text?: string }>;

function openAiAnswer(body: ModelRequest['body'], turn: Answer, calls: Call[], usage: Usage) {
  return {
    id: `chatcmpl-${crypto.randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'fake',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: turn.text ?? null,
          ...(calls.length
            ? {
                tool_calls: calls.map((c) => ({
                  id: c.id,
                  type: 'function',
                  function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                })),
              }
            : {}),
        },
        finish_reason: calls.length ? 'tool_calls' : turn.finish === 'length' ? 'length' : 'stop',
      },
    ],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  };
}

function anthropicAnswer(body: ModelRequest['body'], turn: Answer, calls: Call[], usage: Usage) {
  return {
    id: `msg_${crypto.randomUUID()}`,
    type: 'message',
    role: 'assistant',
    model: body.model ?? 'fake',
    content: [
      ...(turn.text ? [{ type: 'text', text: turn.text }] : []),
      ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments })),
    ],
    stop_reason: calls.length ? 'tool_use' : turn.finish === 'length' ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  };
}

/**
 * A tool call id answered twice in the conversation, as both APIs refuse it (OpenAI: each `tool` message answers one
 * `tool_call_id`; Anthropic: `tool_result` blocks answer `tool_use` ids once each); null when none is.
 */
function duplicateToolResult(api: 'openai' | 'anthropic', messages: unknown[]): string | null {
  const seen = new Set<string>();
  for (const m of messages as { role?: string; tool_call_id?: string; content?: unknown }[]) {
    const ids =
      api === 'openai'
        ? m.role === 'tool' && m.tool_call_id
          ? [m.tool_call_id]
          : []
        : Array.isArray(m.content)
          ? (m.content as { type?: string; tool_use_id?: string }[])
              .filter((c) => c.type === 'tool_result' && c.tool_use_id)
              .map((c) => c.tool_use_id!)
          : [];
    for (const id of ids) {
      if (seen.has(id)) return id;
      seen.add(id);
    }
  }
  return null;
}

/** The error body each vendor sends (OpenAI `{error:{message,type}}`, Anthropic `{type:'error',error:{…}}`). */
function vendorError(api: 'openai' | 'anthropic', status: number, message: string): Response {
  const body =
    api === 'openai'
      ? { error: { message, type: status === 401 ? 'invalid_request_error' : 'server_error', code: null } }
      : { type: 'error', error: { type: status === 401 ? 'authentication_error' : 'api_error', message } };
  return Response.json(body, { status });
}
