/**
 * Signed messages between the two workers, carried as arguments of Workers RPC calls over their service bindings
 * (https://developers.cloudflare.com/workers/runtime-apis/rpc/). A service binding cannot be reached from the
 * internet, but the payloads still carry a signature, as the custom-integrations docs require of dispatches: a
 * message proves which of our workers sent it, for which purpose, and that it has not been seen before.
 *
 * The MAC (HMAC-SHA256 with MCP_SIGNING_KEY, RFC 2104) covers a version label, the direction, a unique id, the
 * signing time and the exact body text, each on its own line (no field can run into the next: the direction is
 * one of two words, the id a UUID, the time digits). So a dispatch cannot be replayed as a provider tool call or
 * the reverse, a message older than SIGNED_MESSAGE_TOLERANCE_SEC is refused, and inside the window the receiver
 * refuses an id it has recorded already (`internal_message_receipts`, packages/integrations-adapters-cf).
 */
import { fromHex, toHex } from './hex.js';

/**
 * Which way a message goes, named by what it carries:
 * - `session-dispatch`: integrations worker → main worker, a SessionDispatch (session-dispatch.ts);
 * - `provider-tool`: main worker → integrations worker, a ProviderToolCall (internal-rpc.ts).
 */
export type InternalMessageDirection = 'session-dispatch' | 'provider-tool';

/** A signed message: structured-clonable, so it crosses an RPC call as it is. */
export interface SignedInternalMessage {
  direction: InternalMessageDirection;
  /** Unique per message (a UUID): the receiver accepts each id once. */
  id: string;
  /** Unix time of signing, seconds. */
  timestamp: number;
  /** The payload as exact JSON text: the MAC covers these bytes, the receiver parses them after verifying. */
  body: string;
  /** Lower-case hex HMAC-SHA256 over `gatehouse-internal-v1\n<direction>\n<id>\n<timestamp>\n<body>`. */
  signature: string;
}

/** Seconds a signed message stays acceptable, either side of the receiver's clock. */
export const SIGNED_MESSAGE_TOLERANCE_SEC = 300;

const LABEL = 'gatehouse-internal-v1';
const DIRECTIONS: readonly InternalMessageDirection[] = ['session-dispatch', 'provider-tool'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const encoder = new TextEncoder();

/** HMAC keys per secret and usage, imported once per isolate (a CryptoKey is a value, safe to share). */
const keys = new Map<string, CryptoKey>();

async function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  const cacheKey = `${usage}:${secret}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      usage,
    ]);
    // A handful of secrets at most per isolate (one signing key; a test may use a few).
    if (keys.size >= 8) keys.clear();
    keys.set(cacheKey, key);
  }
  return key;
}

function signedText(m: Omit<SignedInternalMessage, 'signature'>): Uint8Array<ArrayBuffer> {
  // TextEncoder always returns bytes over a plain ArrayBuffer; some lib typings leave it ArrayBufferLike.
  return encoder.encode(`${LABEL}\n${m.direction}\n${m.id}\n${m.timestamp}\n${m.body}`) as Uint8Array<ArrayBuffer>;
}

/** Signs `payload` (serialized to JSON here) for `direction`, with a fresh id. */
export async function signInternalMessage(
  secret: string,
  direction: InternalMessageDirection,
  payload: unknown,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<SignedInternalMessage> {
  const unsigned = { direction, id: crypto.randomUUID(), timestamp: nowSec, body: JSON.stringify(payload) };
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), signedText(unsigned));
  return { ...unsigned, signature: toHex(mac) };
}

/** Why a signed message was refused; `replayed` comes from the receiver's record of ids, not from this check. */
export type InternalMessageRefusal =
  | 'missing_secret'
  | 'malformed_message'
  | 'wrong_direction'
  | 'stale_timestamp'
  | 'bad_signature'
  | 'replayed';

export type InternalMessageCheck = { ok: true } | { ok: false; reason: Exclude<InternalMessageRefusal, 'replayed'> };

/**
 * Verifies a message received for `expected`: its shape, its direction, its age and its MAC (constant time,
 * `crypto.subtle.verify`) under any of `secrets` (WorkerConfig.verifyingKeys: the current key, and the previous one
 * during a rotation). Fails closed when there is no key. Whether the id was seen before is the receiver's
 * check (after this one, so unsigned junk never reaches storage).
 */
export async function verifyInternalMessage(
  secrets: string | readonly string[] | undefined,
  expected: InternalMessageDirection,
  message: unknown,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<InternalMessageCheck> {
  const keys = (typeof secrets === 'string' ? [secrets] : (secrets ?? [])).filter(Boolean);
  if (keys.length === 0) return { ok: false, reason: 'missing_secret' };
  const m = message as Partial<SignedInternalMessage> | null;
  const mac = typeof m?.signature === 'string' ? fromHex(m.signature) : null;
  if (
    !m ||
    typeof m !== 'object' ||
    !DIRECTIONS.includes(m.direction as InternalMessageDirection) ||
    typeof m.id !== 'string' ||
    !UUID.test(m.id) ||
    !Number.isSafeInteger(m.timestamp) ||
    typeof m.body !== 'string' ||
    !mac
  )
    return { ok: false, reason: 'malformed_message' };
  if (m.direction !== expected) return { ok: false, reason: 'wrong_direction' };
  if (Math.abs(nowSec - (m.timestamp as number)) > SIGNED_MESSAGE_TOLERANCE_SEC)
    return { ok: false, reason: 'stale_timestamp' };
  // Each key in turn (the current one first): crypto.subtle.verify compares in constant time.
  const text = signedText(m as SignedInternalMessage);
  for (const key of keys)
    if (await crypto.subtle.verify('HMAC', await hmacKey(key, 'verify'), mac, text)) return { ok: true };
  return { ok: false, reason: 'bad_signature' };
}
