/**
 * The declarative integration template: how a third-party HTTP API becomes generic MCP tools with no code change.
 *
 * - URLs are RFC 6570 URI Templates (`https://{settings.site}/rest/api/3/issue/{args.issue_key}`); variables are
 *   `settings.<name>` and `args.<name>`, percent-encoded on expansion.
 * - Query values and bodies are JMESPath expressions (https://jmespath.org/specification.html) evaluated over
 *   `{ args, settings }`; a null query value is omitted, null object members in a body are dropped.
 * - Response mapping is a JMESPath expression over the parsed JSON response body.
 * - Auth names credential fields, never literal secrets.
 */
import { z } from 'zod';
import { hostPatternSchema } from './upstream-hosts.js';

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lower_snake_case starting with a letter');

export const credentialFieldSchema = z.object({
  name: identifier,
  description: z.string().min(1),
  secret: z.boolean().default(true),
  required: z.boolean().default(true),
});

export const settingFieldSchema = z.object({
  name: identifier,
  description: z.string().min(1),
  required: z.boolean().default(true),
  /** RE2 regular expression the value must match as a whole (linear-regex.ts; checked at creation). */
  pattern: z.string().optional(),
  example: z.string().optional(),
});

/** RFC 6749 §3.3 scope-token: visible ASCII except space, `"` and `\`. */
const scopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'scope tokens are visible ASCII without spaces, quotes or backslashes');

export const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  /** `Authorization: Bearer <credential>` (RFC 6750 §2.1). */
  z.object({ type: z.literal('bearer'), token: identifier }),
  /**
   * `Authorization: Basic base64(<username><usernameSuffix>:<password>)` (RFC 7617). `username` null = empty user
   * name (Azure DevOps PATs); `usernameSuffix` serves Zendesk's `{email}/token` form.
   */
  z.object({
    type: z.literal('basic'),
    username: identifier.nullable(),
    usernameSuffix: z.string().max(40).optional(),
    password: identifier,
  }),
  /** An API key in a header or query parameter. */
  z.object({
    type: z.literal('api_key'),
    in: z.enum(['header', 'query']),
    name: z.string().min(1).max(100),
    value: identifier,
  }),
  /**
   * OAuth 2.0 client credentials grant (RFC 6749 §4.4): the gateway obtains an access token from `tokenUrl` (a URI
   * Template over settings) with client_secret_basic (§2.3.1), caches it until shortly before `expires_in`, and sends
   * it as a Bearer token.
   */
  z.object({
    type: z.literal('oauth2_client_credentials'),
    tokenUrl: z.string().min(1),
    clientId: identifier,
    clientSecret: identifier,
    scopes: z.array(scopeToken).default([]),
  }),
  /**
   * OAuth 2.0 authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636 S256): install_integration answers with an
   * authorization URL; the person who opens it authorizes at the vendor, the gateway's callback exchanges the code,
   * stores the tokens encrypted, and refreshes them before they expire (§6), one refresh at a time per installation.
   */
  z.object({
    type: z.literal('oauth2_authorization_code'),
    authorizeUrl: z.string().min(1),
    tokenUrl: z.string().min(1),
    clientId: identifier,
    clientSecret: identifier,
    scopes: z.array(scopeToken).default([]),
  }),
]);

const httpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export const templateToolSchema = z.object({
  /** Generic tool name (`create_issue`, not `jira_create_issue`). */
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lower_snake_case starting with a letter'),
  title: z.string().min(1).max(100),
  description: z.string().min(1).max(1000),
  /** The vendor doc page this tool follows. */
  docsUrl: z.url(),
  method: httpMethod,
  /** URI Template of the path, appended to the template's baseUrl. */
  path: z.string().startsWith('/'),
  /** Query parameter name → JMESPath expression. */
  query: z.record(z.string(), z.string()).optional(),
  /** Extra request headers (literal values; credentials go through `auth`). */
  headers: z.record(z.string(), z.string()).optional(),
  /** JMESPath expression producing the JSON body. */
  body: z.string().optional(),
  /** Content-Type of the body; default application/json. */
  contentType: z.string().optional(),
  inputSchema: z
    .object({
      type: z.literal('object'),
      properties: z.record(z.string(), z.unknown()).default({}),
      required: z.array(z.string()).optional(),
    })
    .loose(),
  /** JMESPath expression mapping the parsed response body to the tool result. */
  response: z.string().optional(),
  readOnly: z.boolean().default(false),
  /**
   * MCP ToolAnnotations hints (MCP 2025-06-18 §Tools, ToolAnnotations) when the method alone would say wrong:
   * `destructiveHint` (may overwrite or delete; default: PUT, PATCH and DELETE do, POST only adds),
   * `idempotentHint` (default: PUT and DELETE), `openWorldHint` (default true). tool-annotations.ts derives them.
   */
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

export const integrationTemplateSchema = z.object({
  slug: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'use lower-case letters, digits and dashes'),
  name: z.string().min(1).max(80),
  description: z.string().min(1).max(1000),
  /** The vendor's API reference this template follows. */
  docsUrl: z.url(),
  /** URI Template of the API origin, over `settings.*` only. */
  baseUrl: z.string().min(1),
  /**
   * Vendor host patterns the expanded base URL must match (`*.atlassian.net`, `dev.azure.com`; upstream-hosts.ts);
   * absent = any host the outbound policy allows.
   */
  upstreamHosts: z.array(hostPatternSchema).min(1).max(10).optional(),
  /** The template also serves self-hosted deployments: a base URL outside `upstreamHosts` is accepted. */
  selfHosted: z.boolean().default(false),
  auth: authSchema,
  credentials: z.array(credentialFieldSchema),
  settings: z.array(settingFieldSchema),
  /**
   * Optional request install_integration makes with the credentials before saving them (e.g. GET /users/me); a
   * non-2xx answer refuses the installation with the upstream's status.
   */
  validation: z.object({ method: z.enum(['GET', 'POST']).default('GET'), path: z.string().startsWith('/') }).optional(),
  tools: z.array(templateToolSchema).min(1),
});

export type IntegrationTemplate = z.infer<typeof integrationTemplateSchema>;
export type TemplateTool = z.infer<typeof templateToolSchema>;
export type TemplateAuth = z.infer<typeof authSchema>;
/** Input form of a template (defaults not yet applied), for authoring templates in code. */
export type IntegrationTemplateInput = z.input<typeof integrationTemplateSchema>;
