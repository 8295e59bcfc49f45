/**
 * /authorize: sign-in and consent for MCP clients (MCP authorization §Authorization Code Grant; consent rules from
 * @cloudflare/workers-oauth-provider docs/consent-page.md). Two steps, each its own page:
 *
 * 1. Sign in — GET validates the authorization request (parseAuthRequest: client, exact redirect URI, PKCE S256,
 *    resource) and, without a sign-in cookie, shows the Gatehouse e-mail/password form (CSRF double-submit token).
 *    A correct password (PBKDF2) sets a ten-minute signed cookie and returns to the same URL.
 * 2. Consent — shows who is asking (client name; verified domain for CIMD clients), where the tokens go (redirect host,
 *    a warning for local apps) and the scopes; the form carries only the library's single-use, browser-bound handle.
 *    Allow completes the authorization for the user's organization and workspace; Deny returns access_denied.
 *
 * Every page refuses framing and escapes everything the client supplied.
 */
import {
  AuthorizationError,
  CimdFetchError,
  type ConsentDescription,
  type OAuthAuthorizationServer,
} from '@cloudflare/workers-oauth-provider';
import {
  createDb,
  findSignInAccount,
  listSignInWorkspaces,
  type SignInWorkspace,
} from '@gatehouse/integrations-adapters-cf';
import { MCP_SCOPES, readCapped, verifyPassword, type WorkerConfig } from '@gatehouse/integrations-core';
import type { GrantProps } from './oauth-servers.js';
import { csrfMatches, csrfToken, signInCookie, signedInUser } from './sign-in-cookie.js';

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SCOPE_LABELS: Record<string, string> = {
  'mcp:read': 'read the catalog, your profile, workspace and sessions',
  'mcp:write': 'install and uninstall integrations',
  'mcp:execute': 'call integration tools (act in connected services)',
  'mcp:admin': 'change templates and MCP settings (ADMIN role required as well)',
};

/** Largest sign-in or consent form read, bytes (the forms are well under 1 KB; the endpoint is unauthenticated). */
export const MAX_FORM_BYTES = 8 * 1024;

// Checked when the e-mail is unknown, so both failures take the same time.
const DUMMY_HASH = 'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)} — Gatehouse</title>
<style>body{font:16px system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.5rem 0}.err{color:#b00020}.warn{background:#fff3cd;padding:.5rem}</style></head><body>${body}</body></html>`;
}

function whoIsAsking(facts: ConsentDescription): string {
  const who = facts.clientDomain
    ? `Published by <strong>${escapeHtml(facts.clientDomain)}</strong>.`
    : 'This app registered itself; its name is not verified.';
  const local = facts.redirectIsLoopback
    ? '<p class="warn"><strong>This sends access to an app on your computer.</strong> Continue only if you just started signing in from it.</p>'
    : '';
  return `<p><strong>${escapeHtml(facts.clientName)}</strong> wants to use Gatehouse as you. ${who} Access will be sent to <strong>${escapeHtml(facts.redirectHost)}</strong>.</p>${local}`;
}

function signInPage(facts: ConsentDescription, csrf: string, error: string | null, email: string): string {
  return layout(
    'Sign in',
    `<h1>Sign in to Gatehouse</h1>${whoIsAsking(facts)}${error ? `<p class="err" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post"><input type="hidden" name="step" value="signin"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label>E-mail <input name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<p><button>Sign in</button></p></form>`,
  );
}

function consentPage(
  facts: ConsentDescription,
  handle: string,
  email: string,
  places: readonly SignInWorkspace[],
): string {
  const scopes = facts.scope
    .map(
      (s) =>
        `<li><label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked> <code>${escapeHtml(s)}</code>: ${escapeHtml(SCOPE_LABELS[s] ?? s)}</label></li>`,
    )
    .join('');
  // A member of several organizations (or an organization with several workspaces) picks where the app acts.
  const where =
    places.length > 1
      ? `<label>In <select name="workspace">${places
          .map(
            (p) =>
              `<option value="${escapeHtml(p.workspaceId)}">${escapeHtml(p.organizationName)} / ${escapeHtml(p.workspaceName)} (${escapeHtml(p.organizationSlug)}/${escapeHtml(p.workspaceSlug)})</option>`,
          )
          .join('')}</select></label>`
      : `<p>In ${escapeHtml(places[0]?.organizationName ?? '')} / ${escapeHtml(places[0]?.workspaceName ?? '')}.</p>`;
  return layout(
    `Authorize ${facts.clientName}`,
    `<h1>Allow ${escapeHtml(facts.clientName)}?</h1>${whoIsAsking(facts)}<p>Signed in as ${escapeHtml(email)}.</p>
<form method="post"><input type="hidden" name="handle" value="${escapeHtml(handle)}">${where}<p>It may:</p><ul>${scopes}</ul>
<p><button name="decision" value="approve">Allow</button> <button name="decision" value="deny">Deny</button></p></form>`,
  );
}

function respond(body: string, headers: Headers = new Headers(), status = 200): Response {
  headers.set('content-type', 'text/html; charset=utf-8');
  headers.set('cache-control', 'no-store');
  headers.set('x-frame-options', 'DENY');
  // No form-action: browsers apply it to the redirect that follows the form (to the app's loopback or custom-scheme
  // callback) and would block it. Everything on the page is escaped, so there is no injected form to stop.
  headers.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  headers.set('referrer-policy', 'no-referrer');
  return new Response(body, { status, headers });
}

const problem = (status: number, message: string) =>
  respond(layout('Cannot continue', `<h1>Cannot continue</h1><p>${escapeHtml(message)}</p>`), new Headers(), status);

/**
 * Password guessing is slowed with the Workers Rate Limiting binding (10 attempts a minute per key; counted before
 * the password is checked, so right and wrong attempts count alike), keyed by client IP (CF-Connecting-IP: one
 * source spraying many accounts) and by the account *from that IP* (one source guessing one account). Not by the
 * account alone: then anyone who knows an e-mail could keep its owner out for as long as they keep guessing
 * (OWASP Authentication Cheat Sheet, "Account Lockout"); the owner's own IP has its own count.
 */
async function signInAllowed(limiter: RateLimit, req: Request, email: string): Promise<boolean> {
  // Cloudflare sets CF-Connecting-IP on every request it serves; without it (local runs) only the account key counts.
  const ip = req.headers.get('cf-connecting-ip');
  const keys = [`account:${email.toLowerCase()}|${ip ?? ''}`, ...(ip ? [`ip:${ip}`] : [])];
  const outcomes = await Promise.all(keys.map((key) => limiter.limit({ key })));
  return outcomes.every((o) => o.success);
}

export async function handleAuthorize(
  req: Request,
  env: Env,
  config: WorkerConfig,
  authorizationServer: OAuthAuthorizationServer<Env>,
): Promise<Response> {
  const oauth = authorizationServer.getOAuthApi(env);
  const db = createDb(env.AUTH_DB);
  // The authorization request always comes from the URL's query; POSTs keep it in their action URL.
  const asGet = new Request(req.url, { method: 'GET', headers: req.headers });
  try {
    if (req.method === 'GET') {
      const request = await oauth.parseAuthRequest(asGet);
      const facts = await oauth.describeConsent(request);
      const userId = await signedInUser(req, config.signingKey);
      const account = userId ? await findSignInAccount(db, { userId }) : null;
      if (!account) {
        const csrf = csrfToken();
        return respond(signInPage(facts, csrf.token, null, ''), new Headers({ 'set-cookie': csrf.setCookie }));
      }
      const consent = await oauth.beginConsent(request);
      return respond(
        consentPage(facts, consent.handle, account.email, await listSignInWorkspaces(db, account.userId)),
        consent.headers,
      );
    }
    if (req.method !== 'POST') return problem(405, 'Use GET or POST.');
    // Unauthenticated: the form is read only up to MAX_FORM_BYTES (a sign-in or consent form is well under 1 KB).
    const text = await readCapped(req, MAX_FORM_BYTES);
    if (text === null) return problem(413, `The form is larger than ${MAX_FORM_BYTES} bytes.`);
    const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers.get('content-type') ?? '')
      ? new URLSearchParams(text)
      : null;
    if (!form) return problem(400, 'Send the form as application/x-www-form-urlencoded.');

    if (form.get('step') === 'signin') {
      if (!csrfMatches(req, String(form.get('csrf') ?? '')))
        return problem(403, 'This sign-in form expired or came from another site. Start again from your app.');
      const request = await oauth.parseAuthRequest(asGet);
      const email = String(form.get('email') ?? '').trim();
      if (!(await signInAllowed(env.SIGN_IN_LIMITER, req, email))) {
        const limited = problem(429, 'Too many sign-in attempts. Wait a minute, then start again from your app.');
        limited.headers.set('retry-after', '60');
        return limited;
      }
      const account = email ? await findSignInAccount(db, { email }) : null;
      const ok = await verifyPassword(String(form.get('password') ?? ''), account?.passwordHash ?? DUMMY_HASH);
      if (!account?.passwordHash || !ok) {
        const csrf = csrfToken();
        return respond(
          signInPage(await oauth.describeConsent(request), csrf.token, 'Wrong e-mail or password.', email),
          new Headers({ 'set-cookie': csrf.setCookie }),
          401,
        );
      }
      return new Response(null, {
        status: 303,
        headers: {
          location: req.url,
          'set-cookie': await signInCookie(config.signingKey, account.userId),
          'cache-control': 'no-store',
        },
      });
    }

    const handle = String(form.get('handle') ?? '');
    if (form.get('decision') !== 'approve') {
      const denied = await oauth.denyConsent(req, handle);
      denied.headers.set('location', denied.redirectTo);
      return new Response(null, { status: 302, headers: denied.headers });
    }
    const userId = await signedInUser(req, config.signingKey);
    const account = userId ? await findSignInAccount(db, { userId }) : null;
    if (!account) return problem(401, 'Your sign-in expired. Start again from your app.');
    // The grant goes to the workspace picked on the page, and only if the user may act there (a member of its
    // organization); without a pick (one place), to the first.
    const places = await listSignInWorkspaces(db, account.userId);
    const picked = form.get('workspace');
    const place = picked === null ? places[0] : places.find((p) => p.workspaceId === String(picked));
    if (!place)
      return problem(403, 'You are not a member of that workspace’s organization. Start again from your app.');
    const scope = form
      .getAll('scope')
      .map(String)
      .filter((s) => (MCP_SCOPES as readonly string[]).includes(s));
    const approved = await oauth.approveConsent(req, handle, { scope });
    const props: GrantProps = {
      userId: account.userId,
      organizationId: place.organizationId,
      workspaceId: place.workspaceId,
    };
    const { redirectTo } = await oauth.completeAuthorization({
      request: approved.request,
      userId: account.userId,
      metadata: {},
      scope: approved.request.scope,
      props,
    });
    approved.headers.set('location', redirectTo);
    return new Response(null, { status: 302, headers: approved.headers });
  } catch (error) {
    if (error instanceof AuthorizationError && error.redirectTo) return Response.redirect(error.redirectTo, 302);
    if (error instanceof AuthorizationError) return problem(400, error.description);
    if (error instanceof CimdFetchError)
      return problem(400, 'This app could not be verified: its client metadata document could not be fetched.');
    throw error;
  }
}
