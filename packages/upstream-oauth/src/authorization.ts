/**
 * Installing through an upstream OAuth authorization (RFC 6749 §4.1 with PKCE, RFC 7636; or a vendor's equivalent
 * such as a GitHub App installation), the same for catalog templates and code providers:
 *
 * - start: store the installation `pending` with the pasted app credentials (encrypted), record a single-use state
 *   (ten minutes, `oauth_state`) under the key of what it is for (`linear`, `template:<slug>`), carrying the
 *   installation id, the PKCE verifier and the redirect URI encrypted, and answer the flow's authorization URL;
 * - callback: consume the state (a reused, unknown, expired or foreign state changes nothing), let the flow finish
 *   (exchange the code with the verifier), store the result encrypted and activate the installation, in one
 *   compare-and-swap.
 *
 * Outcomes are tagged with the HTTP status and a message for the person in the browser (never a token, secret or
 * upstream body); authorizationPage renders them.
 */
import {
  consumeOAuthState,
  createInstallation,
  createOAuthState,
  findInstallation,
  swapInstallationCredentials,
  type Db,
  type InstallationRecord,
  type NewInstallation,
} from '@gatehouse/integrations-adapters-cf';
import { createPkce } from '@gatehouse/catalog';
import type { CredentialsCipher, InstallFlowContext, OAuthInstallFlow } from '@gatehouse/integrations-core';
import { z } from 'zod';

/** Who starts an install: the tenant, the workspace the state is issued in, and the user. */
export interface AuthorizingPrincipal {
  organizationId: string;
  workspaceId: string;
  userId: string;
}

/** What a state is issued for: the key the callback checks it against, and the flow that finishes it. */
export interface AuthorizationTarget {
  /** A provider id (`linear`) or `template:<slug>`. */
  stateKey: string;
  flow: OAuthInstallFlow;
}

/** The state's encrypted payload. */
const carriedSchema = z.object({ installationId: z.string(), codeVerifier: z.string(), redirectUri: z.string() });

/**
 * Starts an install: the pending installation (`installation.credentials` is the plaintext app credentials, stored
 * encrypted here), the state and the authorization URL. `redirectUri` is where the vendor sends the person back.
 */
export async function startAuthorization(
  db: Db,
  cipher: CredentialsCipher,
  principal: AuthorizingPrincipal,
  target: AuthorizationTarget,
  input: {
    installation: Omit<NewInstallation, 'credentials' | 'status' | 'createdBy'>;
    app: Record<string, string>;
    redirectUri: string;
  },
): Promise<{ installation: InstallationRecord; authorizationUrl: string; expiresAt: number }> {
  const row = await createInstallation(db, principal, {
    ...input.installation,
    credentials: await cipher.encrypt(input.app),
    createdBy: principal.userId,
    status: 'pending',
  });
  const pkce = await createPkce();
  const { state, expiresAt } = await createOAuthState(db, principal, {
    provider: target.stateKey,
    userId: principal.userId,
    payload: await cipher.encrypt({
      installationId: row.id,
      codeVerifier: pkce.verifier,
      redirectUri: input.redirectUri,
    }),
  });
  const authorizationUrl = target.flow.authorizationUrl(input.app, {
    state,
    redirectUri: input.redirectUri,
    codeChallenge: pkce.challenge,
    settings: input.installation.settings,
  });
  return { installation: row, authorizationUrl, expiresAt };
}

/** The callback's outcome, one shape for templates and providers. */
export type AuthorizationOutcome =
  | { ok: true; installation: InstallationRecord }
  | {
      ok: false;
      /**
       * - `invalid_state`: missing, unknown, expired, already used, or issued for another integration (400);
       * - `declined`: the vendor redirected with an `error` (RFC 6749 §4.1.2.1; 400);
       * - `unreadable_state`: its payload does not decrypt (a rotated-out key; 400);
       * - `not_pending`: the installation was removed, activated meanwhile or is not the state's (409);
       * - `unsupported`: what the installation is for no longer authorizes this way (409);
       * - `failed`: the vendor refused the exchange or answered badly (502);
       * - `changed`: the installation changed between read and write (409).
       */
      reason: 'invalid_state' | 'declined' | 'unreadable_state' | 'not_pending' | 'unsupported' | 'failed' | 'changed';
      status: 400 | 409 | 502;
      message: string;
    };

/**
 * Finishes an install from the vendor's redirect to our callback. `accepts` says whether a state key belongs to
 * this callback (a provider's own id; `template:` keys on the templates' callback); `resolve` gives the target for
 * the pending installation the state carries, or null when it no longer authorizes this way.
 */
export async function finishAuthorization(
  db: Db,
  cipher: CredentialsCipher,
  callback: URLSearchParams,
  options: {
    accepts: (stateKey: string) => boolean;
    resolve: (installation: InstallationRecord, stateKey: string) => Promise<AuthorizationTarget | null>;
    outbound: InstallFlowContext['outbound'];
  },
): Promise<AuthorizationOutcome> {
  const fail = (reason: Extract<AuthorizationOutcome, { ok: false }>['reason'], message: string) =>
    ({ ok: false, reason, status: STATUS[reason], message }) as const;
  const state = callback.get('state');
  const row = state ? await consumeOAuthState(db, state) : null;
  if (!row || !options.accepts(row.provider))
    return fail('invalid_state', 'This authorization link expired or was already used.');
  const vendorError = callback.get('error');
  if (vendorError)
    return fail('declined', `The service answered "${vendorError.slice(0, 100)}". Nothing was installed.`);
  let carried: z.infer<typeof carriedSchema>;
  try {
    carried = carriedSchema.parse(await cipher.decrypt(row.payload));
  } catch {
    return fail('unreadable_state', 'The authorization state could not be read.');
  }
  const tenant = { organizationId: row.organizationId };
  const installation = await findInstallation(db, tenant, carried.installationId);
  if (installation?.status !== 'pending')
    return fail('not_pending', 'This installation was removed or is already authorized.');
  const target = await options.resolve(installation, row.provider);
  if (!target || target.stateKey !== row.provider)
    return fail('unsupported', 'This installation no longer uses this authorization.');
  const app = await cipher.decrypt(installation.credentials);
  const done = await target.flow.complete(callback, app, {
    settings: installation.settings,
    outbound: options.outbound,
    redirectUri: carried.redirectUri,
    codeVerifier: carried.codeVerifier,
  });
  if (!done.ok) return fail('failed', done.message.endsWith('.') ? done.message : `${done.message}.`);
  const stored = await swapInstallationCredentials(db, tenant, {
    installationId: installation.id,
    expected: installation.credentials,
    credentials: await cipher.encrypt(done.credentials),
    activate: true,
  });
  if (!stored) return fail('changed', 'This installation changed meanwhile.');
  return { ok: true, installation };
}

const STATUS = {
  invalid_state: 400,
  declined: 400,
  unreadable_state: 400,
  not_pending: 409,
  unsupported: 409,
  failed: 502,
  changed: 409,
} as const satisfies Record<Extract<AuthorizationOutcome, { ok: false }>['reason'], 400 | 409 | 502>;

const TITLES = {
  invalid_state: 'Authorization link expired',
  declined: 'Authorization declined',
  unreadable_state: 'Authorization failed',
  not_pending: 'Nothing to authorize',
  unsupported: 'Nothing to authorize',
  failed: 'Authorization failed',
  changed: 'Nothing to authorize',
} as const satisfies Record<Extract<AuthorizationOutcome, { ok: false }>['reason'], string>;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page the person's browser shows after the callback: on success `connected` (a sentence for the installation),
 * else the outcome's title and message followed by `retry` (how to start again). No script, no framing, not cached,
 * no referrer.
 */
export function authorizationPage(
  outcome: AuthorizationOutcome,
  text: { retry: string; connected: (installation: InstallationRecord) => string },
): Response {
  const [status, title, message] = outcome.ok
    ? [200, `${outcome.installation.title} is connected`, text.connected(outcome.installation)]
    : [outcome.status, TITLES[outcome.reason], `${outcome.message} ${text.retry}`];
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    },
  });
}
