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

/**
 * Header names whose values are secrets whatever they are called in full: credentials (`Authorization`,
 * `X-Auth-Key`, `Ocp-Apim-Subscription-Key`, `X-Api-Key`), signatures, cookies, sessions.
 */
const SECRET_HEADER = /auth|cookie|sig|token|secret|key|password|session|credential/i;

/** Headers as a plain object with the secret ones replaced (names lowercased, as Fetch's Headers holds them). */
export function recordedHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    out[name] = SECRET_HEADER.test(name) ? REDACTED : name === 'location' ? recordedUrl(value) : value;
  });
  return out;
}

/**
 * Query parameter names that carry credentials or one-time capabilities though isSecretName does not catch them:
 * API keys (`key`, `apikey`), signed URLs (`sig`, `X-Amz-Signature` by name, Azure SAS `sig`), OAuth `code` and
 * `state` (RFC 6749 §4.1.2).
 */
const SECRET_QUERY = new Set(['key', 'apikey', 'api-key', 'sig', 'code', 'state', 'auth', 'sas', 'x-amz-credential']);

/** `url` with the values of its secret query parameters replaced; unparseable text is returned as is. */
export function recordedUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  for (const name of new Set(u.searchParams.keys()))
    if (isSecretName(name) || SECRET_QUERY.has(name.toLowerCase())) {
      u.searchParams.set(name, REDACTED);
      changed = true;
    }
  if (u.username || u.password) {
    u.username = REDACTED;
    u.password = '';
    changed = true;
  }
  return changed ? u.href : url;
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

/** Content types whose bodies are recorded as text; others are counted, not kept (their bytes mean nothing as text). */
const TEXT_TYPE = /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|x-www-form-urlencoded|javascript|graphql))/i;

/**
 * A `fetch` that records each exchange into `sink` while passing it through unchanged: the caller reads the
 * response as usual, and a clone is read beside it. Bodies are kept only for text content types (or none given), at
 * most `budgetBytes` over all the exchanges of one recorder (default MAX_RECORDED_BODY_BYTES), then cut and marked;
 * a cut or non-text body is still counted when the server gave its Content-Length. Each entry settles when its body
 * has been read; await `settled` before using the sink. Request bodies are recorded when given as a string (what the
 * template executor and the vendor SDKs send for JSON and forms). URLs keep their secret query parameters redacted.
 */
export function recordingFetch(
  inner: typeof fetch,
  sink: UpstreamExchange[],
  budgetBytes = MAX_RECORDED_BODY_BYTES,
): { fetch: typeof fetch; settled: () => Promise<void> } {
  const pending: Promise<void>[] = [];
  const budget = { left: budgetBytes };
  const wrapped: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : null;
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = init?.body;
    const exchange: UpstreamExchange = {
      method,
      url: recordedUrl(url),
      requestHeaders: recordedHeaders(init?.headers ?? request?.headers),
      requestBody: typeof body === 'string' ? body.slice(0, MAX_RECORDED_REQUEST_CHARS) : null,
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
    const length = Number(res.headers.get('content-length') ?? Number.NaN);
    const type = res.headers.get('content-type');
    if (!res.body || (type && !TEXT_TYPE.test(type)) || budget.left <= 0) {
      exchange.responseBytes = Number.isFinite(length) ? length : res.body ? null : 0;
      exchange.responseTruncated = res.body !== null;
      exchange.durationMs = Date.now() - start;
      return res;
    }
    const copy = res.clone();
    pending.push(
      readRecordedBody(copy, budget).then(({ text, bytes, truncated }) => {
        exchange.responseBody = text;
        exchange.responseBytes = truncated && Number.isFinite(length) ? length : bytes;
        exchange.responseTruncated = truncated;
        exchange.durationMs = Date.now() - start;
      }),
    );
    return res;
  };
  return { fetch: wrapped, settled: async () => void (await Promise.all(pending)) };
}

/** Longest request body kept, characters. */
const MAX_RECORDED_REQUEST_CHARS = 1024 * 1024;

/**
 * Reads a body as text within what is left of `budget` (shared by one recorder's exchanges), then cancels the rest.
 * Never rejects: a broken stream records what arrived.
 */
async function readRecordedBody(
  res: Response,
  budget: { left: number },
): Promise<{ text: string | null; bytes: number; truncated: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (value.byteLength > budget.left) {
        text += decoder.decode(value.subarray(0, Math.max(budget.left, 0)));
        budget.left = 0;
        truncated = true;
        await reader.cancel();
        break;
      }
      budget.left -= value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } catch {
    truncated = true;
  }
  return { text, bytes, truncated };
}

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** Strings shorter than this are never cut (the marker would be longer than what it saves), characters. */
const MIN_CUT_CHARS = 200;

/**
 * `value` with its longest strings cut until its JSON is at most `maxBytes` (UTF-8), each cut string ending in
 * `…[truncated: kept K of N characters]`. Unchanged when it fits. Numbers, booleans, structure and short strings are
 * never cut; when cutting the long strings is not enough, the answer is a stub `{ detail_truncated: true,
 * detail_bytes }` (within any `maxBytes` of 64 or more). Sizes are tracked arithmetically: one pass to measure, one
 * to cut.
 */
export function fitJson(value: unknown, maxBytes: number): unknown {
  const text = JSON.stringify(value);
  const total = utf8Bytes(text);
  if (total <= maxBytes) return value;
  const stub = { detail_truncated: true, detail_bytes: total };
  const copy = JSON.parse(text) as unknown;
  if (!copy || typeof copy !== 'object') return stub;
  type Parent = Record<string | number, unknown>;
  const leaves: { parent: Parent; key: string | number; bytes: number; original?: string; kept?: number }[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const entries: [string | number, unknown][] = Array.isArray(node) ? [...node.entries()] : Object.entries(node);
    for (const [key, v] of entries) {
      if (typeof v === 'string') {
        if (v.length >= MIN_CUT_CHARS)
          leaves.push({ parent: node as Parent, key, bytes: utf8Bytes(JSON.stringify(v)) });
      } else walk(v);
    }
  };
  walk(copy);
  leaves.sort((a, b) => b.bytes - a.bytes);
  let size = total;
  // A few rounds: characters are 1 to 6 bytes in JSON, so a cut by the share of bytes may keep too much of a string
  // whose wide characters come first.
  for (let round = 0; round < 3 && size > maxBytes; round++)
    for (const leaf of leaves) {
      if (size <= maxBytes) break;
      const current = leaf.parent[leaf.key] as string;
      const original = leaf.original ?? current;
      const room = Math.max(leaf.bytes - (size - maxBytes) - 100, 0);
      const keep = Math.min(Math.floor((current.length * room) / leaf.bytes), leaf.kept ?? original.length);
      const cut = `${original.slice(0, keep)}…[truncated: kept ${keep} of ${original.length} characters]`;
      const bytes = utf8Bytes(JSON.stringify(cut));
      leaf.parent[leaf.key] = cut;
      size += bytes - leaf.bytes;
      Object.assign(leaf, { bytes, original, kept: keep });
    }
  return size <= maxBytes ? copy : stub;
}
