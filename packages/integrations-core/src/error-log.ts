/**
 * The one log line and the one response for an error nobody handled (STYLE: "anything unexpected is a logged 500").
 *
 * The line says what failed and where, without secrets: `{"msg":"unhandled error","worker","method","route",
 * "requestId","error":<name>,"message":<redacted message>}`. The 500 carries the same request id in the
 * `x-request-id` header and the body, so a person holding the response finds the line. The id is the request's
 * `cf-ray` when Cloudflare's edge set it (https://developers.cloudflare.com/fundamentals/reference/http-headers/#cf-ray),
 * else a random UUID.
 *
 * Redaction (error messages can carry what a request or an upstream put in them): every value in `knownSecrets`
 * (the worker's own keys), `Bearer`/`Basic` credentials, secret-named `key=value` and `"key":"value"` pairs, PEM
 * private keys, JWTs/JWEs, vendor token formats (gth_, ghp_/gho_/ghs_/ghu_/github_pat_, xox?-, whsec_, lin_api_,
 * sk-…), and any other run of 24 or more hex or base64 characters (keys, signatures, hashes; a dash ends a run).
 */

/** The response header and body field that carry the request id of a 500. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The request id for `req`: Cloudflare's `cf-ray` when present (and plausible), else a fresh UUID. */
export function requestIdOf(req: Request): string {
  const ray = req.headers.get('cf-ray');
  return ray && /^[0-9a-zA-Z-]{8,64}$/.test(ray) ? ray : crypto.randomUUID();
}

/** What replaces a secret in logs and recorded data. */
export const REDACTED = '[redacted]';
const SECRET_NAMES = `(?:authorization|api[_-]?key|access[_-]?token|refresh[_-]?token|id[_-]?token|token|secret|client[_-]?secret|password|passwd|signature|private[_-]?key|credentials?|cookie|session)`;
/** The words a secret's name ends in, for recorded data (a regex alternation). */
const RECORDED_SECRET_WORDS =
  'token|secret|password|passwd|credentials?|authorization|cookie|signature|api[_-]?key|private[_-]?key|access[_-]?key|secret[_-]?key|subscription[_-]?key';

const RECORDED_SECRET_NAME = new RegExp(`(?:^|[^a-z])(?:${RECORDED_SECRET_WORDS})$`);

/**
 * Whether a JSON key or header name holds a secret in recorded data: it ends in a secret word, in any case style
 * (`access_token`, `clientSecret`, `X-Api-Key`, `password`), while `session_id`, `max_tokens` and `tokenizer` do not.
 */
export function isSecretName(name: string): boolean {
  return RECORDED_SECRET_NAME.test(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
}

/** A secret-named key's value: quoted (single, double, escaped double) or bare up to a separator. */
const VALUE = String.raw`(?:\\?"(?:[^"\\]|\\[^"])*\\?"|'[^']*'|(?!\[redacted\])[^\s&"',;)]+)`;

/**
 * name = value, name: value, "name": "value", name%3Dvalue, where `names` says the name is secret. The name starts
 * where a run of word characters starts (the lookbehind) and its free parts are bounded, so the scan stays linear on
 * long runs such as `a-a-a-…` (a lazy unbounded prefix would retry at every boundary: quadratic).
 */
function secretPairPattern(names: string): [RegExp, string] {
  return [
    new RegExp(String.raw`(\\?"?(?<![\w-])${names}\\?"?\s{0,8}(?:[=:]|%3[dD])\s{0,8})${VALUE}`, 'gi'),
    `$1${REDACTED}`,
  ];
}

/** The credential shapes: PEM keys, Authorization schemes, URL userinfo, JWTs, vendor token formats. */
const CREDENTIAL_PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // URL userinfo: scheme://user:password@host. Bounded parts (schemes are short, RFC 3986 §3.1): an unbounded scheme
  // would rescan a long run such as `a-a-a-…` from every word boundary (quadratic).
  [/\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/@:]{1,256}:[^\s/@]{1,256}@/gi, `$1${REDACTED}@`],
  [/\beyJ[\w-]+\.[\w-]+(?:\.[\w-]*){0,3}/g, REDACTED],
  [/\b(?:gth|ghp|gho|ghs|ghu|ghr|github_pat|whsec|lin_api|lin_oauth|sk|xox[abposr]|ATATT)[-_]?[\w-]{6,}/g, REDACTED],
];

/** For log lines: any name that contains a secret word (`session`, `max_tokens` too: a log loses little). */
const LOG_PAIR = secretPairPattern(String.raw`[\w-]{0,64}?${SECRET_NAMES}[\w-]{0,64}`);

/**
 * For recorded data (isSecretName): names that end in a secret word, so `session_id` and `max_tokens` keep
 * their values.
 */
const RECORDED_PAIR = secretPairPattern(String.raw`[\w-]{0,64}?(?:${RECORDED_SECRET_WORDS})`);

/** Any long run of key-like characters: right for log lines, too coarse for recorded data (ids, hashes, SHAs). */
const RUN_PATTERNS: readonly [RegExp, string][] = [
  // Keys, signatures and hashes: 24+ hex or base64 characters, or 32+ with dashes (base64url, Atlassian tokens), but
  // never a UUID (8-4-4-4-12), which names a row and says what failed.
  [/[A-Za-z0-9+/_]{24,}={0,2}/g, REDACTED],
  [
    /(?<![\w-])(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-]))[A-Za-z0-9_-]{32,}/g,
    REDACTED,
  ],
];

/** `text` with every secret it may hold replaced by `[redacted]`; `knownSecrets` are redacted wherever they occur. */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = replaceKnown(text, knownSecrets);
  for (const [pattern, replacement] of [LOG_PAIR, ...CREDENTIAL_PATTERNS, ...RUN_PATTERNS])
    out = out.replace(pattern, replacement);
  return out;
}

/** Shortest known secret replaced wherever it occurs, characters: shorter values would erase ordinary text. */
export const MIN_KNOWN_SECRET_CHARS = 6;

/** A secret as it may appear: as is, percent-encoded (a URL query), form-encoded (spaces as `+`). */
function spellings(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  return [...new Set([secret, encoded, encoded.replaceAll('%20', '+')])];
}

function replaceKnown(text: string, knownSecrets: readonly string[]): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (secret.length < MIN_KNOWN_SECRET_CHARS) continue;
    for (const form of spellings(secret)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}

/**
 * `text` with every value in `knownSecrets`, every credential shape (PEM, Bearer/Basic, URL userinfo, JWT, vendor
 * token formats) and the value of every secret-named pair (isSecretName) replaced by `[redacted]`, while
 * ordinary ids and hashes are kept: for data that is recorded (run history), not for log lines.
 */
export function redactCredentials(text: string, knownSecrets: readonly string[] = []): string {
  // A quoted value keeps its quotes, so a recorded JSON body stays JSON.
  let out = replaceKnown(text, knownSecrets).replace(RECORDED_PAIR[0], (match: string, name: string) => {
    const value = match.slice(name.length);
    const quote = value.startsWith('\\"') ? '\\"' : /^["']/.test(value) ? value[0] : '';
    return `${name}${quote}${REDACTED}${quote}`;
  });
  for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Where an unhandled error happened, for its log line. */
export interface UnhandledErrorContext {
  /** `mcp` or `integrations`. */
  worker: string;
  /** The HTTP method of the request. */
  method: string;
  /** The matched route pattern (e.g. `/webhook/:provider/:installation`), never the raw URL (it may carry tokens). */
  route: string;
  /** From requestIdOf(request): the id the response carries too. */
  requestId: string;
  /** Values that must never be logged (the worker's signing and credential keys). */
  knownSecrets?: readonly string[];
}

/** drizzle-orm's query error: "Failed query: <sql>\nparams: <values>", the driver's error as `cause`. */
const FAILED_QUERY = /^Failed query: ([\s\S]*?)\nparams: [\s\S]*$/;

/**
 * The JSON log line for an unhandled error: its name and redacted message, the cause's likewise, and for a failed
 * database query the SQL without its parameter values (they are data, possibly secret). Capped at 500 characters a
 * field.
 */
export function unhandledErrorLine(error: unknown, context: UnhandledErrorContext): string {
  const redact = (text: string) => redactSecrets(text, context.knownSecrets).slice(0, 500);
  const name = error instanceof Error ? error.name : typeof error;
  let message = error instanceof Error ? error.message : String(error);
  const failedQuery = FAILED_QUERY.exec(message);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
  if (failedQuery) message = cause ? cause.message : 'database query failed';
  return JSON.stringify({
    msg: 'unhandled error',
    worker: context.worker,
    method: context.method,
    route: context.route,
    requestId: context.requestId,
    error: name,
    message: redact(message),
    ...(failedQuery
      ? { query: redact(failedQuery[1]!) }
      : cause
        ? { cause: redact(`${cause.name}: ${cause.message}`) }
        : {}),
  });
}

/** Logs the error (console.error, one line) and answers the generic 500 that carries the request id. */
export function unhandledErrorResponse(error: unknown, context: UnhandledErrorContext): Response {
  console.error(unhandledErrorLine(error, context));
  return new Response(
    JSON.stringify({
      error: 'internal_error',
      message: 'internal error; it was logged',
      request_id: context.requestId,
    }),
    {
      status: 500,
      headers: { 'content-type': 'application/json', [REQUEST_ID_HEADER]: context.requestId },
    },
  );
}

/**
 * The secret values of a worker's env that no log line may contain: its signing keys, every credentials key and the
 * agents' default model keys.
 */
export function secretValuesOf(env: {
  MCP_SIGNING_KEY?: string;
  MCP_SIGNING_KEY_PREVIOUS?: string;
  CREDENTIALS_KEYS?: string;
}): string[] {
  // The model keys agents may use (optional secrets, absent from most Env types).
  const models = env as { ANTHROPIC_API_KEY?: unknown; OPENAI_API_KEY?: unknown };
  const values = [
    env.MCP_SIGNING_KEY,
    env.MCP_SIGNING_KEY_PREVIOUS,
    models.ANTHROPIC_API_KEY,
    models.OPENAI_API_KEY,
  ].filter((v): v is string => typeof v === 'string' && v.length > 0);
  try {
    const keys = JSON.parse(env.CREDENTIALS_KEYS ?? '{}') as unknown;
    if (keys && typeof keys === 'object')
      for (const v of Object.values(keys)) if (typeof v === 'string') values.push(v);
  } catch {
    /* malformed: the config check reports it; nothing parseable to redact */
  }
  return values;
}

/** An RPC method failed in the callee: what the caller sees instead of the callee's own error (never its text). */
export class InternalRpcError extends Error {
  override name = 'InternalRpcError';
  constructor(
    readonly method: string,
    readonly requestId: string,
  ) {
    super(`${method} failed in the other worker; it was logged there with request id ${requestId}`);
  }
}

/**
 * Runs the body of an RPC method (internal-rpc.ts): an error it throws is logged here as one unhandled-error line
 * (`method` `RPC`, `route` the method name) and rethrown as an InternalRpcError, so the caller never receives a
 * driver message or a secret in an exception, and can still tell a failure (retry) from an answer.
 */
export async function rpcBoundary<T>(
  context: { worker: string; method: string; knownSecrets?: () => readonly string[] },
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const requestId = crypto.randomUUID();
    console.error(
      unhandledErrorLine(err, {
        worker: context.worker,
        method: 'RPC',
        route: context.method,
        requestId,
        // Computed only when there is something to log (it parses the key set).
        knownSecrets: context.knownSecrets?.(),
      }),
    );
    throw new InternalRpcError(context.method, requestId);
  }
}
