/**
 * The OAuth 2.0 authorization code install flow (RFC 6749 §4.1, PKCE S256 per RFC 7636) as an `OAuthInstallFlow`,
 * for providers whose vendor speaks it (Linear, Slack). The vendor's facts are data; how its token answer reads is a
 * function (`readTokens`), so a vendor that departs from RFC 6749 §5.1 (Slack) needs no special case in the worker.
 *
 * Stored credentials: the pasted app fields, `access_token`, `access_token_expires_at` (epoch ms, when the vendor says
 * the token expires), `refresh_token` (when issued), plus whatever `readTokens` adds (Slack's `bot_user_id`).
 */
import { postTokenRequest, readBearerTokenResponse } from '@gatehouse/catalog';
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

export interface AuthorizationCodeFlowSpec {
  /** Shown in errors, e.g. "Slack". */
  service: string;
  /** Where the person authorizes (opened in their browser). */
  authorizeUrl: string;
  /** The token endpoint; may depend on the installation's settings (an API root pointed at a fake in development). */
  tokenUrl: (settings: Record<string, unknown>) => string;
  scopes: readonly string[];
  /** Vendor-specific authorization parameters (e.g. Linear's `actor=app`). */
  extraAuthorizeParams?: Readonly<Record<string, string>>;
  /** Client authentication at the token endpoint (RFC 6749 §2.3.1): HTTP Basic, or in the form body. */
  clientAuth: 'basic' | 'post';
  appFields: readonly CredentialField[];
  /** Reads the token endpoint's JSON object for a grant; the default reads RFC 6749 §5.1 with a Bearer token. */
  readTokens?: (json: Record<string, unknown>, grant: 'authorization_code' | 'refresh_token') => TokenReading;
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

function stored(base: Record<string, string>, reading: Extract<TokenReading, { ok: true }>): Record<string, string> {
  const { access_token_expires_at: _old, ...rest } = base;
  return {
    ...rest,
    ...reading.extra,
    access_token: reading.accessToken,
    ...(reading.expiresIn ? { access_token_expires_at: String(Date.now() + reading.expiresIn * 1000) } : {}),
    ...(reading.refreshToken ? { refresh_token: reading.refreshToken } : {}),
  };
}

/** Builds the flow from the vendor's facts. */
export function authorizationCodeFlow(spec: AuthorizationCodeFlowSpec): OAuthInstallFlow {
  const read = spec.readTokens ?? readBearer(spec.service);
  const grant = async (
    app: Record<string, string>,
    params: { grant_type: 'authorization_code' | 'refresh_token' } & Record<string, string>,
    ctx: Parameters<NonNullable<OAuthInstallFlow['refresh']>>[1],
  ): Promise<InstallFlowResult> => {
    const res = await postTokenRequest(
      spec.service,
      spec.tokenUrl(ctx.settings),
      { id: app.client_id ?? '', secret: app.client_secret ?? '' },
      params,
      ctx.outbound,
      spec.clientAuth,
    );
    if (!res.ok) return { ok: false, message: res.message };
    const reading = read(res.json, params.grant_type);
    return reading.ok ? { ok: true, credentials: stored(app, reading) } : reading;
  };
  return {
    appFields: spec.appFields,
    scopes: spec.scopes,
    authorizationUrl(app, request) {
      const url = new URL(spec.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', app.client_id ?? '');
      url.searchParams.set('redirect_uri', request.redirectUri);
      url.searchParams.set('scope', spec.scopes.join(','));
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
      if (!credentials.refresh_token)
        return Promise.resolve({
          ok: false,
          message: `the ${spec.service} access token expired and there is no refresh token; install again`,
        });
      // RFC 6749 §6; a rotated refresh token in the answer replaces the old one (stored() keeps the old one otherwise).
      return grant(credentials, { grant_type: 'refresh_token', refresh_token: credentials.refresh_token }, ctx);
    },
  };
}
