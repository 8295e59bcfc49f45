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
  annotations?: {
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    idempotentHint?: boolean;
    openWorldHint?: boolean;
  };
}

/**
 * A provider tool: its MCP descriptor plus what publication it needs. A tool that writes names the publication scope
 * it needs (`comment.create`) and how to read its target from the input (the external thread it writes to, matched
 * against an `issue`-granularity publication); read-only tools need none.
 */
export interface ProviderTool extends McpToolDescriptor {
  publicationScope?: string;
  /**
   * What is wrong with the arguments (fields and reasons, no values), or null when they are valid. Checked before the
   * publication (a call with bad arguments is a 400, whatever it would write to). Tools declared with
   * defineProviderTool have it.
   */
  argumentProblem?: (input: Record<string, unknown>) => string | null;
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
  /**
   * True for an event that continues its thread's session but never starts one (a Slack reply in a thread): the
   * worker dispatches it only when a session exists for `threadKey`, and records it as ignored otherwise.
   */
  continuation?: boolean;
  /**
   * True for an event that ends its thread's work (GitHub issue or pull request closed, Linear issue moved to a
   * completed or canceled state, a custom event with `"thread": {"closed": true}`): the session's status becomes
   * `closed`. Any other event dispatched to the session makes it `active` again (a reopen, a new mention).
   */
  closesThread?: boolean;
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

/**
 * How a provider is installed (the docs' `install: { type: 'oauth' | 'credentials', … }`). `type` names the
 * preferred path; `fields` is the credential paste (personal or bot tokens, webhook secrets), which stays available
 * where the vendor allows it (an `oauth` install may leave it empty). `settings` are non-secret options (an API root
 * for an enterprise server, or a local fake).
 */
export type InstallSpec = CredentialsInstallSpec | OAuthInstallSpec;

export interface CredentialsInstallSpec {
  type: 'credentials';
  fields: readonly CredentialField[];
  settings?: readonly CredentialField[];
  /**
   * Where installations of this provider are made instead of `POST /install/<id>` (the `custom` provider: catalog
   * templates are installed with the main worker's `install_integration`); that route then answers 400 naming it.
   */
  installWith?: string;
  verify?: VerifyCredentials;
}

/**
 * Checks pasted credentials with the vendor's identity call before anything is stored (GitHub `GET /user`, Slack
 * `auth.test`, Linear's `viewer`), as template credentials are checked with their validation request. A refusal says
 * which field and the vendor's status or error code, never the secret. Credentials without anything to call with
 * (a webhook secret only) pass.
 */
export type VerifyCredentials = (
  credentials: Record<string, string>,
  ctx: InstallFlowContext,
) => Promise<{ ok: true } | { ok: false; message: string }>;

export interface OAuthInstallSpec {
  type: 'oauth';
  fields: readonly CredentialField[];
  settings?: readonly CredentialField[];
  /** Checks a credential paste (the `fields`), as CredentialsInstallSpec.verify. */
  verify?: VerifyCredentials;
  oauth: OAuthInstallFlow;
}

/** A provider's install flow at the vendor, e.g. RFC 6749 §4.1 with PKCE, or a GitHub App installation. */
export interface OAuthInstallFlow {
  /** What the person pastes first: the organization's own app at the vendor (client id and secret, webhook facts). */
  readonly appFields: readonly CredentialField[];
  /** What the install asks the vendor for (shown on the console page). */
  readonly scopes: readonly string[];
  /** The vendor URL the person opens: it must carry `state`, and lead back to `redirectUri`. */
  authorizationUrl(app: Record<string, string>, request: AuthorizationRequest): string;
  /**
   * The vendor's redirect to our callback, after the single-use state was consumed: exchange the code (or verify the
   * installation) and return the credentials to store, the app fields included. Errors are messages for the person,
   * never a token or secret.
   */
  complete(
    callback: URLSearchParams,
    app: Record<string, string>,
    ctx: InstallFlowContext & { redirectUri: string; codeVerifier: string },
  ): Promise<InstallFlowResult>;
  /**
   * Renews the short-lived access token (`access_token`, `access_token_expires_at` in ms since the epoch) of stored
   * credentials: a refresh-token grant (RFC 6749 §6), or a new GitHub App installation token. Absent: tokens last.
   */
  refresh?(credentials: Record<string, string>, ctx: InstallFlowContext): Promise<InstallFlowResult>;
}

export interface AuthorizationRequest {
  state: string;
  redirectUri: string;
  /** PKCE S256 challenge (RFC 7636 §4.2). */
  codeChallenge: string;
  settings: Record<string, unknown>;
}

/**
 * What an install flow may use: the installation's settings, and the outbound options every upstream request goes
 * through (the gateway's outbound policy; `allowLoopback` only under the development setting).
 */
export interface InstallFlowContext {
  settings: Record<string, unknown>;
  outbound: { fetch: typeof fetch; allowLoopback: boolean };
}

/**
 * An install or refresh step's outcome. `refused` on a failure: the vendor answered with a refusal (or there is
 * nothing to renew with), so only a new authorization helps; absent or false, the vendor could not be reached.
 */
export type InstallFlowResult =
  | { ok: true; credentials: Record<string, string> }
  | { ok: false; message: string; refused?: boolean };

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
  /**
   * Which installations the provider's webhooks and tools belong to: its own (`provider`, the default), or catalog
   * template installations (`template`: the `custom` provider, which serves templates through this contract).
   */
  readonly installationKind?: 'provider' | 'template';
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
export function parseWebhookJson<T>(
  raw: string,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[] }[] } };
  },
): { ok: true; data: T } | Extract<WebhookRejection, { reason: 'malformed_payload' }> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'malformed_payload', detail: 'body is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      reason: 'malformed_payload',
      detail: parsed.error.issues.map((i) => i.path.map(String).join('.')).join(', '),
    };
  return { ok: true, data: parsed.data };
}
