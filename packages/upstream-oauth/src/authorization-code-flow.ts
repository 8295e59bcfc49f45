/**
 * The OAuth 2.0 authorization code grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636) as an `OAuthInstallFlow`
 * (packages/integrations-core provider.ts): the authorization URL a person opens, the code exchange at the callback
 * (§4.1.3) and the refresh (§6). Built from data, one builder for catalog templates (templateAuthorizationFlow) and
 * for code providers (Linear, Slack): the vendor's facts are fields, how its token answer reads is a function
 * (`readTokens`), so a vendor that departs from §5.1 (Slack's `oauth.v2.access`) needs no special case elsewhere.
 *
 * Stored credentials: the app fields (client id and secret, under the names `clientFields` gives), `access_token`,
 * `access_token_expires_at` (epoch ms, as a string; when the vendor says, or `assumedLifetimeSec`), `refresh_token`
 * (when issued; RFC 6749 §6: a new one replaces the old, else the old stays), plus what `readTokens` adds.
 */
import {
  ACCESS_TOKEN,
  ACCESS_TOKEN_EXPIRES_AT,
  REFRESH_TOKEN,
  postTokenRequest,
  readBearerTokenResponse,
} from '@gatehouse/catalog';
import type { CredentialField, InstallFlowResult, OAuthInstallFlow } from '@gatehouse/integrations-core';

/** A token answer as a provider reads it. `expiresIn` in seconds; absent for tokens that do not expire. */
export type TokenReading =
  | {
      ok: true;
      accessToken: string;
      refreshToken?: string | undefined;
      expiresIn?: number | undefined;
      extra?: Record<string, string>;
    }
  | { ok: false; message: string };

/** The vendor's facts. URLs may depend on the installation's settings (a self-hosted site, a fake in development). */
export interface AuthorizationCodeFlowSpec {
  /** Shown in errors, e.g. "Slack". */
  service: string;
  /** Where the person authorizes (opened in their browser). */
  authorizeUrl: (settings: Record<string, unknown>) => string;
  /** The token endpoint. */
  tokenUrl: (settings: Record<string, unknown>) => string;
  scopes: readonly string[];
  /** How `scope` joins the scopes: RFC 6749 §3.3 says spaces; some vendors (Slack, Linear) take commas. */
  scopeSeparator?: ' ' | ',';
  /** Vendor-specific authorization parameters (e.g. Linear's `actor=app`). */
  extraAuthorizeParams?: Readonly<Record<string, string>>;
  /** Client authentication at the token endpoint (RFC 6749 §2.3.1): HTTP Basic, or in the form body. */
  clientAuth: 'basic' | 'post';
  /** Names of the stored credentials holding the client id and secret (default `client_id`, `client_secret`). */
  clientFields?: { id: string; secret: string };
  appFields: readonly CredentialField[];
  /** Reads the token endpoint's JSON object for a grant; the default reads RFC 6749 §5.1 with a Bearer token. */
  readTokens?: (json: Record<string, unknown>, grant: 'authorization_code' | 'refresh_token') => TokenReading;
  /** Lifetime to assume, seconds, when the answer gives no `expires_in` (RFC 6749 §5.1 only recommends it). */
  assumedLifetimeSec?: number;
}

function readBearer(service: string) {
  return (json: Record<string, unknown>): TokenReading => {
    const read = readBearerTokenResponse(service, json);
    if (!read.ok) return { ok: false, message: read.message };
    return {
      ok: true,
      accessToken: read.tokens.accessToken,
      refreshToken: read.tokens.refreshToken,
      expiresIn: typeof json.expires_in === 'number' ? read.tokens.expiresIn : undefined,
    };
  };
}

function stored(
  base: Record<string, string>,
  reading: Extract<TokenReading, { ok: true }>,
  assumedLifetimeSec: number | undefined,
): Record<string, string> {
  const { [ACCESS_TOKEN_EXPIRES_AT]: _old, ...rest } = base;
  const lifetime = reading.expiresIn ?? assumedLifetimeSec;
  return {
    ...rest,
    ...reading.extra,
    [ACCESS_TOKEN]: reading.accessToken,
    ...(lifetime ? { [ACCESS_TOKEN_EXPIRES_AT]: String(Date.now() + lifetime * 1000) } : {}),
    ...(reading.refreshToken ? { [REFRESH_TOKEN]: reading.refreshToken } : {}),
  };
}

/** Builds the flow from the vendor's facts. */
export function authorizationCodeFlow(spec: AuthorizationCodeFlowSpec): OAuthInstallFlow {
  const read = spec.readTokens ?? readBearer(spec.service);
  const fields = spec.clientFields ?? { id: 'client_id', secret: 'client_secret' };
  const grant = async (
    app: Record<string, string>,
    params: { grant_type: 'authorization_code' | 'refresh_token' } & Record<string, string>,
    ctx: Parameters<NonNullable<OAuthInstallFlow['refresh']>>[1],
  ): Promise<InstallFlowResult> => {
    const id = app[fields.id];
    const secret = app[fields.secret];
    if (!id || !secret)
      return { ok: false, message: `${spec.service}: the installation has no client credentials`, refused: true };
    const res = await postTokenRequest(
      spec.service,
      spec.tokenUrl(ctx.settings),
      { id, secret },
      params,
      ctx.outbound,
      spec.clientAuth,
    );
    // RFC 6749 §5.2: an error response is 400 (invalid_grant, invalid_client…) or 401 (invalid_client): the vendor's
    // refusal, which only a new authorization fixes. 5xx, 429, a timeout or an unreadable answer may pass.
    if (!res.ok) return { ok: false, message: res.message, refused: res.status === 400 || res.status === 401 };
    const reading = read(res.json, params.grant_type);
    return reading.ok ? { ok: true, credentials: stored(app, reading, spec.assumedLifetimeSec) } : reading;
  };
  return {
    appFields: spec.appFields,
    scopes: spec.scopes,
    authorizationUrl(app, request) {
      const url = new URL(spec.authorizeUrl(request.settings));
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', app[fields.id] ?? '');
      url.searchParams.set('redirect_uri', request.redirectUri);
      if (spec.scopes.length) url.searchParams.set('scope', spec.scopes.join(spec.scopeSeparator ?? ' '));
      url.searchParams.set('state', request.state);
      url.searchParams.set('code_challenge', request.codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      for (const [k, v] of Object.entries(spec.extraAuthorizeParams ?? {})) url.searchParams.set(k, v);
      return url.toString();
    },
    complete(callback, app, ctx) {
      const code = callback.get('code');
      if (!code) return Promise.resolve({ ok: false, message: 'The callback has no code.' });
      return grant(
        app,
        { grant_type: 'authorization_code', code, redirect_uri: ctx.redirectUri, code_verifier: ctx.codeVerifier },
        ctx,
      );
    },
    refresh(credentials, ctx) {
      if (!credentials[REFRESH_TOKEN])
        return Promise.resolve({
          ok: false,
          message: `the ${spec.service} access token expired and there is no refresh token; install again`,
          refused: true,
        });
      return grant(credentials, { grant_type: 'refresh_token', refresh_token: credentials[REFRESH_TOKEN] }, ctx);
    },
  };
}
