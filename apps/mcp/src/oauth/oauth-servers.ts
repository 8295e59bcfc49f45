/**
 * The main worker is both the OAuth 2.1 authorization server and the protected resource for /mcp (MCP authorization,
 * revisions 2025-06-18 and 2025-11-25), built on @cloudflare/workers-oauth-provider for the protocol mechanics:
 * RFC 8414 metadata, RFC 7591 registration, Client ID Metadata Documents, PKCE S256, code and refresh-token handling
 * with rotation, RFC 7009 revocation, RFC 8707 audience binding and RFC 9728 resource metadata with the 401 challenge.
 * Our code owns sign-in and consent (consent-page.ts), scopes and roles (mcp/scope-policy.ts).
 *
 * /mcp accepts two kinds of bearer token: Gatehouse API tokens (`gth_…`: every scope, limited by role) and OAuth
 * access tokens issued here for exactly this resource. Both resolve to a Principal with one D1 read that also checks
 * the request's MCP session.
 */
import {
  OAuthAuthorizationServer,
  OAuthError,
  OAuthResourceServer,
  type OAuthResourceAuth,
} from '@cloudflare/workers-oauth-provider';
import {
  createDb,
  findPrincipalByTokenHash,
  findPrincipalForGrant,
  type Principal,
  type PrincipalSession,
} from '@gatehouse/integrations-adapters-cf';
import {
  MCP_SCOPES,
  REQUEST_ID_HEADER,
  looksLikeApiToken,
  requestIdOf,
  secretValuesOf,
  sha256Hex,
  unhandledErrorLine,
} from '@gatehouse/integrations-core';

/** What an OAuth grant stores (encrypted by the library) and hands back on every request. */
export interface GrantProps {
  userId: string;
  organizationId: string;
  workspaceId: string;
}

/** What the /mcp handler receives as ctx.props. */
export type McpAuthProps =
  | { via: 'api_token'; principal: Principal; session: PrincipalSession | null }
  | { via: 'oauth'; grant: GrantProps };

export const AUTHORIZE_PATH = '/authorize';
export const TOKEN_PATH = '/token';
export const REGISTER_PATH = '/register';
export const MCP_PATH = '/mcp';

/** The public origin: PUBLIC_ORIGIN when set, else the origin the request arrived at (checked by ALLOWED_HOSTS). */
export function publicOrigin(env: Env, req: Request): string {
  return env.PUBLIC_ORIGIN ? new URL(env.PUBLIC_ORIGIN).origin : new URL(req.url).origin;
}

export interface OAuthServers {
  authorizationServer: OAuthAuthorizationServer<Env>;
  resourceServer: OAuthResourceServer<Env, McpAuthProps>;
  resource: string;
}

/** Lifetime of a dynamically registered client without token use, seconds (30 days). */
export const CLIENT_REGISTRATION_TTL_SEC = 30 * 24 * 3600;

const byOrigin = new Map<string, OAuthServers>();

/**
 * The servers for an origin, built once per isolate (their configuration is immutable). The handler is the /mcp
 * application, passed in to keep this module free of MCP code.
 */
export function oauthServers(
  origin: string,
  handler: (
    req: Request,
    env: Env,
    ctx: ExecutionContext & { props: McpAuthProps; auth: OAuthResourceAuth },
  ) => Promise<Response>,
): OAuthServers {
  const hit = byOrigin.get(origin);
  if (hit) return hit;
  const resource = `${origin}${MCP_PATH}`;
  const authorizationServer = new OAuthAuthorizationServer<Env>({
    issuer: origin,
    resources: [resource],
    defaultResource: resource,
    authorizeEndpoint: AUTHORIZE_PATH,
    tokenEndpoint: TOKEN_PATH,
    clientRegistrationEndpoint: REGISTER_PATH,
    scopesSupported: [...MCP_SCOPES],
    // Clients such as Cursor use custom-scheme callbacks (cursor://…) next to loopback ones (RFC 8252 §7.1).
    allowPrivateUseRedirectUris: true,
    clientIdMetadataDocumentEnabled: true,
    accessTokenTTL: 3600,
    // Dynamically registered clients that never come back expire after 30 days (the library's default is 90); one
    // still exchanging tokens is renewed by the library past half that, so live grants keep their client.
    clientRegistrationTTL: CLIENT_REGISTRATION_TTL_SEC,
  });
  const resourceServer = new OAuthResourceServer<Env, McpAuthProps>({
    // requiredScopes is published as the resource's (minimal) scopes_supported; more comes by step-up.
    resourceMetadata: { resource, authorization_servers: [origin] },
    requiredScopes: ['mcp:read'],
    validateToken: (env, request) => async (forResource, token) => {
      try {
        if (looksLikeApiToken(token)) {
          // API tokens carry every scope; their role still limits them (mcp/scope-policy.ts).
          const found = await findPrincipalByTokenHash(
            createDb(env.AUTH_DB),
            await sha256Hex(token),
            Date.now(),
            request.headers.get('mcp-session-id') ?? undefined,
          );
          if (!found) return null;
          const { session, ...principal } = found;
          return {
            props: { via: 'api_token', principal, session },
            audience: forResource,
            scope: [...MCP_SCOPES],
            userId: principal.userId,
          };
        }
        const validated = await authorizationServer.validateToken(forResource, token, env);
        if (!validated) return null;
        return { ...validated, props: { via: 'oauth', grant: validated.props as GrantProps } };
      } catch (err) {
        // The token could not be checked (D1 unavailable): a 503 the client may retry (the library's rule for a
        // thrown OAuthError keeps status and headers), with the request id of the one log line that says why.
        const requestId = requestIdOf(request);
        console.error(
          unhandledErrorLine(err, {
            worker: 'mcp',
            method: request.method,
            route: '/mcp (token validation)',
            requestId,
            knownSecrets: [token, ...secretValuesOf(env)],
          }),
        );
        throw new OAuthError('temporarily_unavailable', {
          description: `the token could not be checked; retry shortly (request id ${requestId})`,
          statusCode: 503,
          headers: { 'retry-after': '5', [REQUEST_ID_HEADER]: requestId },
        });
      }
    },
    handler: {
      fetch: (req, env, ctx) =>
        handler(req, env, ctx as ExecutionContext & { props: McpAuthProps; auth: OAuthResourceAuth }),
    },
  });
  const servers = { authorizationServer, resourceServer, resource };
  byOrigin.set(origin, servers);
  return servers;
}

/** Resolves the request's principal and session from what the token validation produced. */
export async function principalOf(env: Env, req: Request, props: McpAuthProps, clientId: string | undefined) {
  if (props.via === 'api_token') return { principal: props.principal, session: props.session };
  const found = await findPrincipalForGrant(
    createDb(env.AUTH_DB),
    { ...props.grant, clientId: clientId ?? 'unknown' },
    Date.now(),
    req.headers.get('mcp-session-id') ?? undefined,
  );
  if (!found) return null;
  const { session, ...principal } = found;
  return { principal, session };
}
