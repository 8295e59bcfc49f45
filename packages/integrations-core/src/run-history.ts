/**
 * Run history: the record of what the gateway did, one item per tool call, webhook delivery, dispatch attempt and
 * session event (and, with agents, per run and step), written by both workers into AUTH_DB (docs/d1-schema.md,
 * `run_history_items`). The shapes here are runtime-neutral; storage is in packages/integrations-adapters-cf.
 *
 * Correlation: every item carries a trace id. A session's trace is derived from its installation and thread
 * (`traceIdForThread`), so the integrations worker can tag a delivery before the session exists, the main worker
 * tags the session event and every tool call made with that `_session` the same way, and one query joins them.
 * Items outside a session get a fresh trace each (`newTraceId`). The format is the W3C Trace Context trace-id:
 * 32 lowercase hex digits (https://www.w3.org/TR/trace-context/#trace-id).
 *
 * Secrets never enter an item: `redactRecorded` replaces every value stored as a secret (an installation's
 * credentials, the worker's keys), secret-named fields and headers, and credential-shaped strings, before anything is
 * written.
 */
import { REDACTED, isSecretName, redactCredentials } from './error-log.js';
import { sha256Hex } from './tokens.js';

export const RUN_HISTORY_KINDS = [
  'tool_call',
  'webhook_delivery',
  'dispatch',
  'session_event',
  'agent_run',
  'agent_step',
] as const;
export type RunHistoryKind = (typeof RUN_HISTORY_KINDS)[number];

/** `refused`: the gateway would not do it (a policy: role, scope, publication, outbound rules, a bad signature). */
export const RUN_HISTORY_STATUSES = ['ok', 'error', 'refused'] as const;
export type RunHistoryStatus = (typeof RUN_HISTORY_STATUSES)[number];

/** Who acted: an API token or an OAuth client (for its user), an agent, a vendor's webhook, the gateway itself. */
export type RunHistoryActor = 'api_token' | 'oauth_client' | 'agent' | 'webhook' | 'system';

/** One HTTP exchange with an upstream, as recorded (redacted before it is stored). */
export interface UpstreamExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  /** The request body as text, or null (none, or not text). */
  requestBody: string | null;
  /** HTTP status, or null when no answer came (refused by the outbound rules, unreachable, timed out). */
  status: number | null;
  /** From the request to the end of the response body (or the failure), milliseconds. */
  durationMs: number;
  /** Bytes of the response body as received, or null without an answer. */
  responseBytes: number | null;
  responseHeaders: Record<string, string>;
  /** The response body as text, at most MAX_RECORDED_BODY_BYTES (`responseTruncated` says when it was cut). */
  responseBody: string | null;
  responseTruncated: boolean;
  /** Why no answer came: `timeout`, or the fetch error's name and message (a policy refusal says which rule). */
  error: string | null;
}

/** An item as a writer hands it over; storage adds `expires_at` from the organization's retention. */
export interface RunHistoryItemInput {
  /** Given for items that may be written twice (a queue retry), so the second write changes nothing. */
  id?: string;
  organizationId: string;
  workspaceId: string | null;
  kind: RunHistoryKind;
  status: RunHistoryStatus;
  /** Milliseconds since the Unix epoch. */
  startedAt: number;
  durationMs: number | null;
  actorType: RunHistoryActor;
  actorId: string | null;
  userId: string | null;
  installationId: string | null;
  provider: string | null;
  tool: string | null;
  sessionId: string | null;
  traceId: string;
  /** One line for lists and search; cut to MAX_SUMMARY_CHARS. */
  summary: string;
  reason: string | null;
  /** The detail document (arguments, exchanges, result or error), already redacted; null for none. */
  detail: Record<string, unknown> | null;
}

/** Longest summary kept, characters. */
export const MAX_SUMMARY_CHARS = 500;
/** Largest response body an exchange keeps, bytes (beyond it the body is cut and marked). */
export const MAX_RECORDED_BODY_BYTES = 8 * 1024 * 1024;

/** The trace of a session: the same for every item of one installation's thread, whoever computes it. */
export async function traceIdForThread(installationId: string, threadKey: string): Promise<string> {
  return (await sha256Hex(`gatehouse-trace\u0000${installationId}\u0000${threadKey}`)).slice(0, 32);
}

/** A fresh trace for an item outside any session. */
export function newTraceId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/** Header names whose values are secrets whatever they are called in full (signatures, keys, cookies). */
const SECRET_HEADER = /authorization|cookie|signature|token|secret|api[-_]?key|password|session/i;

/** Headers as a plain object with the secret ones replaced (names lowercased, as Fetch's Headers holds them). */
export function recordedHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    out[name] = SECRET_HEADER.test(name) ? REDACTED : value;
  });
  return out;
}

/**
 * `value` with every secret removed: known secret values and credential shapes in any string, the whole value of
 * any secret-named key (isSecretName: `access_token`, `clientSecret`, `credentials`…), at any depth. Returns a
 * copy; `value` is unchanged.
 */
export function redactRecorded(value: unknown, knownSecrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactCredentials(value, knownSecrets);
  if (Array.isArray(value)) return value.map((v) => redactRecorded(v, knownSecrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = isSecretName(k) && v !== null && v !== undefined ? REDACTED : redactRecorded(v, knownSecrets);
    return out;
  }
  return value;
}

/** The string values of an installation's decrypted credentials: what no item may contain. */
export function secretValuesOfCredentials(credentials: Record<string, unknown>): string[] {
  return Object.values(credentials).filter((v): v is string => typeof v === 'string');
}

/** `text` cut to `max` characters with an ellipsis. */
export function clipSummary(text: string, max = MAX_SUMMARY_CHARS): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * A `fetch` that records each exchange into `sink` while passing it through unchanged: the caller reads the
 * response as usual, and a clone is read beside it (at most MAX_RECORDED_BODY_BYTES, then cancelled). Each entry
 * settles when its body has been read; await `settled` before using the sink. Request bodies are recorded when
 * given as a string (what the template executor and the vendor SDKs send for JSON and forms).
 */
export function recordingFetch(
  inner: typeof fetch,
  sink: UpstreamExchange[],
): { fetch: typeof fetch; settled: () => Promise<void> } {
  const pending: Promise<void>[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : null;
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = init?.body;
    const exchange: UpstreamExchange = {
      method,
      url,
      requestHeaders: recordedHeaders(init?.headers ?? request?.headers),
      requestBody: typeof body === 'string' ? body : null,
      status: null,
      durationMs: 0,
      responseBytes: null,
      responseHeaders: {},
      responseBody: null,
      responseTruncated: false,
      error: null,
    };
    sink.push(exchange);
    const start = Date.now();
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (err) {
      const name = err instanceof Error ? err.name : 'unknown';
      exchange.error =
        name === 'TimeoutError' || name === 'AbortError'
          ? 'timeout'
          : `${name}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
      exchange.durationMs = Date.now() - start;
      throw err;
    }
    exchange.status = res.status;
    exchange.responseHeaders = recordedHeaders(res.headers);
    const copy = res.clone();
    pending.push(
      readRecordedBody(copy).then(({ text, bytes, truncated }) => {
        exchange.responseBody = text;
        exchange.responseBytes = bytes;
        exchange.responseTruncated = truncated;
        exchange.durationMs = Date.now() - start;
      }),
    );
    return res;
  };
  return { fetch: wrapped, settled: async () => void (await Promise.all(pending)) };
}

/** Reads a body as text up to MAX_RECORDED_BODY_BYTES; never rejects (a broken stream records what arrived). */
async function readRecordedBody(res: Response): Promise<{ text: string | null; bytes: number; truncated: boolean }> {
  if (!res.body) return { text: null, bytes: 0, truncated: false };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = MAX_RECORDED_BODY_BYTES - bytes;
      bytes += value.byteLength;
      if (value.byteLength > room) {
        text += decoder.decode(value.subarray(0, Math.max(room, 0)));
        truncated = true;
        await reader.cancel();
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } catch {
    truncated = true;
  }
  return { text, bytes, truncated };
}

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/**
 * `value` with its longest strings cut until its JSON is at most `maxBytes` (UTF-8), each cut string ending in
 * `…[truncated: kept K of N characters]`. Unchanged when it fits. Numbers, booleans and structure are never cut,
 * so a document of many small fields may stay over the limit: callers keep bodies in few, long strings.
 */
export function fitJson(value: unknown, maxBytes: number): unknown {
  let text = JSON.stringify(value);
  if (utf8Bytes(text) <= maxBytes) return value;
  const copy = JSON.parse(text) as unknown;
  // Every string leaf with its parent and key, longest first.
  type Parent = Record<string | number, unknown>;
  const leaves: { parent: Parent; key: string | number; length: number }[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const entries: [string | number, unknown][] = Array.isArray(node) ? [...node.entries()] : Object.entries(node);
    for (const [key, v] of entries) {
      if (typeof v === 'string') leaves.push({ parent: node as Parent, key, length: v.length });
      else walk(v);
    }
  };
  if (typeof copy === 'string') return `${copy.slice(0, Math.max(maxBytes / 4 - 64, 0))}…[truncated]`;
  walk(copy);
  leaves.sort((a, b) => b.length - a.length);
  for (const leaf of leaves) {
    const excess = utf8Bytes(text) - maxBytes;
    if (excess <= 0) break;
    const original = leaf.parent[leaf.key] as string;
    // Characters are 1 to 4 bytes: cut by the excess in bytes (at least), plus room for the marker.
    const keep = Math.max(original.length - excess - 80, 0);
    leaf.parent[leaf.key] = `${original.slice(0, keep)}…[truncated: kept ${keep} of ${original.length} characters]`;
    text = JSON.stringify(copy);
  }
  return copy;
}
