/**
 * The IntegrationProvider contract of the custom-integrations docs: how a provider is installed, how its webhooks
 * become agent-session dispatches, which MCP tools it offers and how publication is scoped.
 *
 * Runtime-neutral: only web-standard types (Request, Response, crypto.subtle). No hono, drizzle or Cloudflare
 * imports, so providers can be tested in Node and run in workerd.
 */
import type { InstallationScope } from './roles.js';
import type { SessionDispatch } from './session-dispatch.js';

/** JSON Schema (draft 2020-12 subset used by MCP `inputSchema`). */
export interface JsonSchemaObject {
  type: 'object';
  properties?: Record<string, unknown>;
  required?: string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

/**
 * An MCP tool as listed by `tools/list` (MCP 2025-06-18 §Tools). Provider tools are named
 * `mcp_<provider>_<tool>`; catalog templates use generic names (`create_issue`).
 */
export interface McpToolDescriptor {
  name: string;
  title?: string;
  description: string;
  inputSchema: JsonSchemaObject;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
}

/**
 * A provider tool: its MCP descriptor plus what publication it needs. A tool that writes names the publication scope
 * it needs (`comment.create`) and how to read its target from the input (the external thread it writes to, matched
 * against an `issue`-granularity publication); read-only tools need none.
 */
export interface ProviderTool extends McpToolDescriptor {
  publicationScope?: string;
  /** The external thread key the call writes to (same form as WebhookEvent.threadKey), or null if not derivable. */
  target?: (input: Record<string, unknown>) => string | null;
}

/** Granularity of a publication: where an agent may write back. */
export type PublicationGranularity = 'workspace' | 'issue' | 'user';

/** A scope a publication may grant, e.g. `comment.create` with the granularity it applies at. */
export interface PublicationScope {
  name: string;
  description: string;
  granularities: readonly PublicationGranularity[];
}

/** The installation a webhook or tool call belongs to, as the provider sees it (secrets already decrypted). */
export interface ProviderInstallation {
  id: string;
  organizationId: string;
  workspaceId: string | null;
  scope: InstallationScope;
  title: string;
  settings: Record<string, unknown>;
  credentials: Record<string, string>;
}

/** A verified, normalized inbound webhook. `deliveryId` is the vendor's delivery id used for deduplication. */
export interface WebhookEvent {
  provider: string;
  deliveryId: string;
  /** Vendor's event name, e.g. GitHub `issue_comment` + action `created` → `issue_comment.created`. */
  name: string;
  /** Key of the external thread this event belongs to, e.g. `octo-org/repo#42`. Events without one are ignored. */
  threadKey: string;
  title: string | null;
  /** Vendor's user login/id of the actor. */
  actor: string | null;
  /** Short human-readable summary; never contains secrets. */
  summary: string;
  /** The fields of the payload an agent needs, already narrowed; never the raw body. */
  data: Record<string, unknown>;
}

/** Why a webhook was refused before anything was stored. Mapped to HTTP in one place by the worker. */
export type WebhookRejection =
  | { ok: false; reason: 'missing_secret' }
  | { ok: false; reason: 'missing_signature' }
  | { ok: false; reason: 'bad_signature' }
  | { ok: false; reason: 'stale_timestamp'; ageSec: number }
  | { ok: false; reason: 'missing_delivery_id' }
  | { ok: false; reason: 'malformed_payload'; detail: string };

/** Outcome of `parseWebhook`: a verified event, a verified event to ignore, or a rejection. */
export type WebhookParseResult =
  | { ok: true; event: WebhookEvent }
  | { ok: true; event: null; deliveryId: string; name: string; reply?: Response }
  | WebhookRejection;

/** What a provider receives when dispatching. */
export interface ProviderContext {
  installation: ProviderInstallation;
}

/** What a tool executor receives: the provider token, checked against the publication, and the session. */
export interface PublicationContext {
  installation: ProviderInstallation;
  session: { id: string; threadKey: string } | null;
  fetch: typeof fetch;
}

/** How a provider is installed. `credentials` lists the fields a user pastes (secrets marked). */
/**
 * How a provider is installed: a credential paste (`fields`), and, when the vendor offers it, the OAuth 2.0
 * authorization code flow (`oauth`, RFC 6749 §4.1): the organization's own OAuth app (`appFields`, e.g. client id and
 * secret) is pasted, the person authorizes at the vendor, and the callback stores the tokens.
 */
export interface InstallSpec {
  type: 'credentials';
  fields: readonly CredentialField[];
  settings?: readonly CredentialField[];
  oauth?: OAuthInstallSpec;
}

export interface OAuthInstallSpec {
  authorizeUrl: string;
  tokenUrl: string;
  scopes: readonly string[];
  /** Vendor-specific authorization parameters (e.g. Linear's `actor=app`). */
  extraAuthorizeParams?: Readonly<Record<string, string>>;
  /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1): HTTP Basic, or in the form body. */
  clientAuth: 'basic' | 'post';
  /** What the person pastes for an OAuth install: the OAuth app's client id and secret, plus webhook facts. */
  appFields: readonly CredentialField[];
}

export interface CredentialField {
  name: string;
  description: string;
  secret: boolean;
  required: boolean;
}

/** The contract every provider folder (apps/integrations/src/routes/<id>/) implements. */
export interface IntegrationProvider {
  readonly id: string;
  readonly displayName: string;
  readonly install: InstallSpec;
  /** Verifies and normalizes a webhook. Reads the raw body itself; must fail closed without a secret. */
  parseWebhook(req: Request, installation: ProviderInstallation): Promise<WebhookParseResult>;
  /** Turns a verified event into the dispatch sent to the main worker. */
  dispatch(event: WebhookEvent, ctx: ProviderContext): SessionDispatch;
  readonly tools: readonly ProviderTool[];
  executeTool(name: string, input: Record<string, unknown>, ctx: PublicationContext): Promise<unknown>;
  /**
   * `scopes`: what a publication of this provider may grant. `sessionDefaults`: the scopes a session started by this
   * provider's webhooks gets on its own thread (granularity `issue`).
   */
  readonly publication: { readonly scopes: readonly PublicationScope[]; readonly sessionDefaults: readonly string[] };
}

/**
 * Parses a verified webhook body as JSON and validates it with the provider's (loose) zod schema; a failure is the
 * pipeline's `malformed_payload` rejection naming the fields.
 */
export function parseWebhookJson<T>(raw: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[] }[] } } }):
  | { ok: true; data: T }
  | Extract<WebhookRejection, { reason: 'malformed_payload' }> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'malformed_payload', detail: 'body is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'malformed_payload', detail: parsed.error.issues.map((i) => i.path.map(String).join('.')).join(', ') };
  return { ok: true, data: parsed.data };
}
