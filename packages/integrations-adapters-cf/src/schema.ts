/**
 * The AUTH_DB schema shared by both workers. docs/d1-schema.md documents each table, its keys and retention.
 * Timestamps are integer milliseconds since the Unix epoch. IDs are random UUIDs unless stated.
 * Generate migrations with `pnpm --filter @gatehouse/integrations-adapters-cf db:generate`.
 */
import { sql } from 'drizzle-orm';
import type { InstallationHealth, RateLimit } from './schema-limits.js';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { SessionReply } from '@gatehouse/integrations-core';

const createdAt = () => integer('created_at').notNull();

export const organizations = sqliteTable('organizations', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  /** Bumped whenever the set of tools visible in the organization changes; keys the per-isolate tool cache. */
  catalogVersion: integer('catalog_version').notNull().default(0),
  /** Days run-history items are kept (0 = nothing is recorded); applied to each item as its `expires_at`. */
  runHistoryRetentionDays: integer('run_history_retention_days').notNull().default(30),
  createdAt: createdAt(),
});

export const workspaces = sqliteTable(
  'workspaces',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    vision: text('vision'),
    /** JSON array of strings. */
    okrs: text('okrs', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    /** MCP server instructions returned at initialize; null = the default text. */
    instructions: text('instructions'),
    /**
     * How tools/list presents the workspace's tools: `list` (every tool), `search` (a few core tools plus
     * search_tools and call_tool), `auto` (search above SEARCH_MODE_THRESHOLD listed tools).
     */
    toolDiscovery: text('tool_discovery', { enum: ['auto', 'list', 'search'] })
      .notNull()
      .default('auto'),
    /** Rate limit of integration tool calls per (user or agent, tool, installation); null = none (rate-limits.ts). */
    rateLimit: text('rate_limit', { mode: 'json' }).$type<RateLimit>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('workspaces_org_slug').on(t.organizationId, t.slug)],
);

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  displayName: text('display_name').notNull(),
  /** PBKDF2 hash for signing in on the OAuth consent page (integrations-core password-hash); null = cannot sign in. */
  passwordHash: text('password_hash'),
  createdAt: createdAt(),
});

export const memberships = sqliteTable(
  'memberships',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['SUPERADMIN', 'ADMIN', 'MEMBER'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    check('memberships_role', sql`${t.role} in ('SUPERADMIN','ADMIN','MEMBER')`),
  ],
);

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The token's own role; the effective role is the lesser of this and the user's membership. */
    role: text('role', { enum: ['SUPERADMIN', 'ADMIN', 'MEMBER'] }).notNull(),
    name: text('name').notNull(),
    /** Hex SHA-256 of the whole token. The token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    /** First characters of the token, for people to recognise it in lists. */
    displayPrefix: text('display_prefix').notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('api_tokens_org').on(t.organizationId)],
);

export const integrationTemplates = sqliteTable(
  'integration_templates',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    version: integer('version').notNull().default(1),
    /** JSON template definition (packages/catalog `IntegrationTemplate`). */
    definition: text('definition', { mode: 'json' }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('integration_templates_org_slug').on(t.organizationId, t.slug)],
);

export const installations = sqliteTable(
  'installations',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** Set for scope `local` (one workspace), null for `global` (the whole organization). */
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    scope: text('scope', { enum: ['local', 'global'] }).notNull(),
    kind: text('kind', { enum: ['template', 'provider'] }).notNull(),
    /** Catalog template slug (kind `template`) or provider id (kind `provider`). */
    source: text('source').notNull(),
    /** Short stable name, unique in the organization; the value of the `_integration` argument. */
    handle: text('handle').notNull(),
    title: text('title').notNull(),
    settings: text('settings', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Compact JWE of the credentials object (see integrations-core credentials-cipher). Never plaintext. */
    credentials: text('credentials').notNull(),
    /** The key id `credentials` is encrypted under (its JWE `kid`), so rotation finds rows still on an old key. */
    credentialsKid: text('credentials_kid').notNull().default(''),
    /** `pending` while an OAuth authorization is outstanding; only `active` installations provide tools. */
    status: text('status', { enum: ['active', 'pending', 'disabled'] })
      .notNull()
      .default('active'),
    /** Lease for refreshing OAuth tokens (epoch ms): one refresh at a time per installation. */
    refreshLockUntil: integer('refresh_lock_until'),
    /**
     * The organization template version this installation runs (kind `template`, organization templates only; null
     * for shipped templates and providers, which change only with a deployment). A new version reaches it at once
     * unless it changes where or how credentials are sent (credentialRoutingChanges); then it waits for an ADMIN's
     * approval (`integration_update_approvals`).
     */
    templateVersion: integer('template_version'),
    /** This installation's own rate limit (rate-limits.ts); null = the workspace's, if any. */
    rateLimit: text('rate_limit', { mode: 'json' }).$type<RateLimit>(),
    /** How its credentials fared (InstallationHealth); null until the first call that records it. */
    health: text('health', { mode: 'json' }).$type<InstallationHealth>(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    /**
     * Bumped by every drizzle update of the row ($onUpdate): the webhook route trusts a cached row only while its
     * `updated_at` (and credentials and status) are unchanged (recordDeliveryIfInstallationUnchanged).
     */
    updatedAt: integer('updated_at')
      .notNull()
      .$onUpdate(() => Date.now()),
  },
  (t) => [
    uniqueIndex('installations_org_handle').on(t.organizationId, t.handle),
    index('installations_org_workspace').on(t.organizationId, t.workspaceId),
    index('installations_credentials_kid').on(t.credentialsKid),
    check('installations_scope_workspace', sql`(${t.scope} = 'local') = (${t.workspaceId} is not null)`),
  ],
);

export const oauthState = sqliteTable('oauth_state', {
  /** Hex SHA-256 of the random `state` value sent to the vendor. */
  stateHash: text('state_hash').primaryKey(),
  organizationId: text('organization_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
  provider: text('provider').notNull(),
  userId: text('user_id').notNull(),
  /** PKCE verifier or other per-flow data, JWE-encrypted like credentials. */
  payload: text('payload').notNull(),
  createdAt: createdAt(),
  expiresAt: integer('expires_at').notNull(),
  consumedAt: integer('consumed_at'),
});

export const publications = sqliteTable(
  'publications',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    installationId: text('installation_id')
      .notNull()
      .references(() => installations.id, { onDelete: 'cascade' }),
    sessionId: text('session_id').references(() => sessions.id, { onDelete: 'cascade' }),
    granularity: text('granularity', { enum: ['workspace', 'issue', 'user'] }).notNull(),
    /** What the granularity points at: a workspace id, an external thread key, or a vendor user id. */
    target: text('target').notNull(),
    /** JSON array of publication scope names, e.g. ["comment.create"]. */
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('publications_org_installation').on(t.organizationId, t.installationId)],
);

export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    installationId: text('installation_id')
      .notNull()
      .references(() => installations.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    /** Vendor delivery id (X-GitHub-Delivery, Linear-Delivery, Slack event_id). */
    deliveryId: text('delivery_id').notNull(),
    eventName: text('event_name').notNull(),
    status: text('status', { enum: ['received', 'dispatched', 'ignored', 'failed'] }).notNull(),
    /**
     * SHA-256 (hex) of the raw body. GitHub and Linear sign the body but not the delivery id header: the same signed
     * body under a new delivery id is a replay, refused by this second unique key. Null on rows from before it.
     */
    bodySha256: text('body_sha256'),
    receivedAt: integer('received_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('webhook_events_delivery').on(t.installationId, t.deliveryId),
    uniqueIndex('webhook_events_body').on(t.installationId, t.bodySha256),
    index('webhook_events_received').on(t.receivedAt),
  ],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'set null' }),
    installationId: text('installation_id')
      .notNull()
      .references(() => installations.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    threadKey: text('thread_key').notNull(),
    title: text('title'),
    status: text('status', { enum: ['active', 'closed'] })
      .notNull()
      .default('active'),
    /** SessionDispatch.reply of the newest dispatch that carried one: where an agent's answer goes. */
    reply: text('reply', { mode: 'json' }).$type<SessionReply>(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  // One session per thread of one installation: vendor thread keys (`owner/repo#42`, `channel:ts`) are global, so two
  // installations that see the same thread (or one made to impersonate it) never share a session.
  (t) => [uniqueIndex('sessions_installation_thread').on(t.installationId, t.threadKey)],
);

export const sessionEvents = sqliteTable(
  'session_events',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** SessionDispatch.dispatchId; unique so a repeated dispatch appends nothing. */
    dispatchId: text('dispatch_id').notNull().unique(),
    source: text('source').notNull(),
    eventName: text('event_name').notNull(),
    actor: text('actor'),
    summary: text('summary').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('session_events_session').on(t.sessionId, t.createdAt)],
);

export const mcpSessions = sqliteTable(
  'mcp_sessions',
  {
    /** The Mcp-Session-Id: 32 random bytes, base64url (MCP 2025-06-18 §Session Management: visible ASCII). */
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** The user who initialized the session; any other user's token on it gets 404. */
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    protocolVersion: text('protocol_version').notNull(),
    clientName: text('client_name'),
    createdAt: createdAt(),
    lastSeenAt: integer('last_seen_at').notNull(),
    /** Idle expiry: pushed forward on use; the scheduled purge deletes rows past it. */
    expiresAt: integer('expires_at').notNull(),
    endedAt: integer('ended_at'),
    /** When the first tool call carried the profile and workspace context (set once, compare-and-swap). */
    contextDeliveredAt: integer('context_delivered_at'),
  },
  (t) => [index('mcp_sessions_expires').on(t.expiresAt)],
);

export const integrationTemplateVersions = sqliteTable(
  'integration_template_versions',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    templateId: text('template_id')
      .notNull()
      .references(() => integrationTemplates.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** The definition as of this version. */
    definition: text('definition', { mode: 'json' }).notNull(),
    /** JSON change report against the previous version (tools added/removed/changed, breaking reasons). */
    changes: text('changes', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    breaking: integer('breaking', { mode: 'boolean' }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('integration_template_versions_version').on(t.templateId, t.version)],
);

/**
 * Ids of the signed messages each worker accepted from the other (packages/integrations-core/src/internal-message.ts):
 * a second message with the same id is a replay and is refused. Kept while a message with that id could still be
 * inside its signing window; the main worker's scheduled purge deletes older rows.
 */
export const internalMessageReceipts = sqliteTable(
  'internal_message_receipts',
  {
    /** The message id (a UUID chosen by the sender). */
    id: text('id').primaryKey(),
    /** `session-dispatch` or `provider-tool`. */
    direction: text('direction').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('internal_message_receipts_received').on(t.receivedAt)],
);

/**
 * Approvals of template versions that change where or how an installation's credentials are sent: who let which
 * installation move from which version to which, and when. Kept with the installation.
 */
export const integrationUpdateApprovals = sqliteTable(
  'integration_update_approvals',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    installationId: text('installation_id')
      .notNull()
      .references(() => installations.id, { onDelete: 'cascade' }),
    fromVersion: integer('from_version').notNull(),
    toVersion: integer('to_version').notNull(),
    /** JSON array of the reasons the approver was shown (credentialRoutingChanges). */
    reasons: text('reasons', { mode: 'json' }).$type<string[]>().notNull(),
    approvedBy: text('approved_by').notNull(),
    approvedAt: integer('approved_at').notNull(),
  },
  (t) => [index('integration_update_approvals_installation').on(t.installationId, t.approvedAt)],
);

/**
 * Run history (docs/d1-schema.md): one row per tool call, webhook delivery, dispatch attempt and session event, linked
 * by `trace_id` (a session's trace is derived from its installation and thread, so a delivery, its dispatch, the
 * session and every tool call made with that `_session` share it). Append-only; rows expire at `expires_at` (the
 * organization's retention when written) and the main worker's cron purges them in bounded batches, with their R2
 * bodies. Not tied to installations or sessions by foreign key: the record outlives an uninstall.
 */
export const runHistoryItems = sqliteTable(
  'run_history_items',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** The workspace the item belongs to (the caller's, or a Local installation's); null = organization-wide. */
    workspaceId: text('workspace_id'),
    kind: text('kind', {
      enum: ['tool_call', 'webhook_delivery', 'dispatch', 'session_event', 'agent_run', 'agent_step'],
    }).notNull(),
    status: text('status', { enum: ['ok', 'error', 'refused'] }).notNull(),
    startedAt: integer('started_at').notNull(),
    durationMs: integer('duration_ms'),
    /** Who acted: a user through an API token or an OAuth client, an agent, or a vendor's webhook. */
    actorType: text('actor_type', { enum: ['api_token', 'oauth_client', 'agent', 'webhook', 'system'] }).notNull(),
    /** API token id, OAuth client id or agent id (null for webhooks). */
    actorId: text('actor_id'),
    userId: text('user_id'),
    installationId: text('installation_id'),
    provider: text('provider'),
    tool: text('tool'),
    sessionId: text('session_id'),
    /** 32 lowercase hex digits (the W3C Trace Context trace-id format). */
    traceId: text('trace_id').notNull(),
    /** One line for lists and free-text search, redacted. */
    summary: text('summary').notNull(),
    /** Machine-readable reason of an `error` or `refused` item, e.g. `upstream_status`, `bad_signature`. */
    reason: text('reason'),
    /** The item's detail document (JSON, redacted) when small; else null and `body_key` names it in R2. */
    detail: text('detail'),
    bodyKey: text('body_key'),
    /** Bytes of the detail document (UTF-8), wherever it is stored. */
    bodyBytes: integer('body_bytes').notNull().default(0),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('run_history_org_started').on(t.organizationId, t.startedAt),
    index('run_history_org_trace').on(t.organizationId, t.traceId, t.startedAt),
    index('run_history_org_session').on(t.organizationId, t.sessionId, t.startedAt),
    index('run_history_org_installation').on(t.organizationId, t.installationId, t.startedAt),
    index('run_history_org_user').on(t.organizationId, t.userId, t.startedAt),
    index('run_history_expires').on(t.expiresAt),
  ],
);

// Tables of later features, one file each; re-exported so `./schema` (and drizzle-kit) see one schema.
export * from './schema-agents.js';
export * from './schema-limits.js';
export * from './schema-knowledge.js';
