/**
 * SessionDispatch: what the integrations worker sends the main worker when a webhook should start or continue an
 * agent session, and the signature that proves it came from us.
 *
 * Wire format: `POST /internal/session-dispatch` over the MAIN service binding, JSON body, header
 * `Gatehouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(MCP_SIGNING_KEY, "<t>.<raw body>")>`. The scheme
 * follows Stripe's and Slack's timestamped signatures so a captured request cannot be replayed after the window.
 */
import { z } from 'zod';
import { fromHex, toHex } from './hex.js';
import type { WebhookEvent } from './provider.js';

export const SESSION_DISPATCH_SIGNATURE_HEADER = 'Gatehouse-Signature';
/** Seconds a signed dispatch stays acceptable (either side of the receiver's clock). */
export const SESSION_DISPATCH_TOLERANCE_SEC = 300;

export const sessionDispatchSchema = z.object({
  /** Unique per dispatch; the receiver's unique key makes redelivery a no-op. `<provider>:<installation id>:<delivery id>`. */
  dispatchId: z.string().min(1).max(200),
  organizationId: z.string().min(1),
  workspaceId: z.string().min(1).nullable(),
  installationId: z.string().min(1),
  provider: z.string().min(1).max(64),
  /** External thread, e.g. `octo-org/repo#42`: sessions are keyed by (organization, provider, threadKey). */
  threadKey: z.string().min(1).max(500),
  title: z.string().max(500).nullable(),
  /** The publication a new session gets: where the agent may write back (see IntegrationProvider.publication). */
  publication: z
    .object({
      granularity: z.enum(['workspace', 'issue', 'user']),
      target: z.string().min(1).max(500),
      scopes: z.array(z.string().min(1).max(100)).max(50),
    })
    .nullable()
    .default(null),
  /** The event closes the thread: the session's status becomes `closed` (else `active`). See WebhookEvent.closesThread. */
  closesThread: z.boolean().default(false),
  event: z.object({
    name: z.string().min(1).max(200),
    actor: z.string().max(200).nullable(),
    summary: z.string().max(2000),
    data: z.record(z.string(), z.unknown()),
  }),
});
export type SessionDispatch = z.infer<typeof sessionDispatchSchema>;
/** A SessionDispatch before defaults: `publication` and `closesThread` may be left out. */
export type SessionDispatchInput = z.input<typeof sessionDispatchSchema>;

const encoder = new TextEncoder();

async function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

/** Signs a raw dispatch body. Returns the `Gatehouse-Signature` header value. */
export async function signSessionDispatch(
  secret: string,
  rawBody: string,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(`${nowSec}.${rawBody}`));
  return `t=${nowSec},v1=${toHex(mac)}`;
}

export type DispatchSignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing_secret' | 'missing_signature' | 'malformed_signature' | 'bad_signature' }
  | { ok: false; reason: 'stale_timestamp'; ageSec: number };

/**
 * Verifies a `Gatehouse-Signature` header over the exact raw body, in constant time (crypto.subtle.verify).
 * Fails closed when the secret is empty.
 */
export async function verifySessionDispatch(
  secret: string | undefined,
  rawBody: string,
  header: string | null,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<DispatchSignatureCheck> {
  if (!secret) return { ok: false, reason: 'missing_secret' };
  if (!header) return { ok: false, reason: 'missing_signature' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const mac = fromHex(parts.get('v1') ?? '');
  if (!Number.isInteger(t) || !mac) return { ok: false, reason: 'malformed_signature' };
  const ageSec = Math.abs(nowSec - t);
  if (ageSec > SESSION_DISPATCH_TOLERANCE_SEC) return { ok: false, reason: 'stale_timestamp', ageSec };
  const valid = await crypto.subtle.verify(
    'HMAC',
    await hmacKey(secret, 'verify'),
    mac,
    encoder.encode(`${t}.${rawBody}`),
  );
  return valid ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

/**
 * The SessionDispatch for a verified event of an installation: the usual body of a provider's `dispatch`. The
 * dispatch id is `<provider>:<installation id>:<vendor delivery id>`, so the main worker appends each delivery once.
 */
export function sessionDispatchFor(
  event: Omit<WebhookEvent, 'continuation'>,
  installation: { id: string; organizationId: string; workspaceId: string | null },
  sessionScopes: readonly string[] = [],
): SessionDispatch {
  return {
    // The installation id (unguessable, ours) scopes the vendor's delivery id, which the signature does not cover:
    // nobody can pre-claim another organization's delivery ids.
    dispatchId: `${event.provider}:${installation.id}:${event.deliveryId}`,
    organizationId: installation.organizationId,
    workspaceId: installation.workspaceId,
    installationId: installation.id,
    provider: event.provider,
    threadKey: event.threadKey,
    title: event.title,
    publication: sessionScopes.length
      ? { granularity: 'issue', target: event.threadKey, scopes: [...sessionScopes] }
      : null,
    closesThread: event.closesThread === true,
    event: { name: event.name, actor: event.actor, summary: event.summary, data: event.data },
  };
}

/** Every internal request between the two workers (dispatches, provider tool calls) uses this one signature scheme. */
export const signInternalRequest = signSessionDispatch;
export const verifyInternalRequest = verifySessionDispatch;

/**
 * A provider tool call forwarded by the main worker to the integrations worker (`POST /internal/provider-tool`,
 * signed): who calls, which installation and tool, and the agent session the call acts for (its publication decides
 * where the tool may write).
 */
export const providerToolCallSchema = z.object({
  organizationId: z.string().min(1),
  workspaceId: z.string().min(1),
  userId: z.string().min(1),
  installationId: z.string().min(1),
  tool: z.string().min(1).max(100),
  arguments: z.record(z.string(), z.unknown()),
  sessionId: z.string().min(1).nullable(),
});
export type ProviderToolCall = z.infer<typeof providerToolCallSchema>;
