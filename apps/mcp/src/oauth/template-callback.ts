/**
 * GET /oauth/callback: the redirect target of template OAuth installs (RFC 6749 §4.1.2). Consumes the single-use
 * state, exchanges the code with the PKCE verifier (RFC 7636 §4.5), stores the tokens encrypted and activates the
 * installation; its tools appear and connected clients get tools/list_changed. Answers a small HTML page: the person
 * is in a browser. A reused, unknown or expired state, or a vendor error, changes nothing.
 */
import {
  consumeOAuthState,
  createDb,
  findInstallation,
  swapInstallationCredentials,
} from '@gatehouse/integrations-adapters-cf';
import { exchangeAuthorizationCode } from '@gatehouse/catalog';
import type { WorkerConfig } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { loadCatalog } from '../tools/catalog.js';
import type { StateCarried } from './template-authorization.js';

const carriedSchema = z.object({ installationId: z.string(), codeVerifier: z.string(), redirectUri: z.string() });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(status: number, title: string, message: string): Response {
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

export async function handleTemplateCallback(
  req: Request,
  env: Env,
  ctx: ExecutionContext,
  config: WorkerConfig,
): Promise<Response> {
  const url = new URL(req.url);
  const state = url.searchParams.get('state');
  if (!state)
    return page(
      400,
      'Authorization failed',
      'The callback has no state parameter. Start again with install_integration.',
    );
  const db = createDb(env.AUTH_DB);
  const row = await consumeOAuthState(db, state);
  if (!row)
    return page(
      400,
      'Authorization link expired',
      'This authorization link expired or was already used. Run install_integration again for a new one.',
    );
  const tenant = { organizationId: row.organizationId };
  const vendorError = url.searchParams.get('error');
  if (vendorError)
    return page(
      400,
      'Authorization declined',
      `The service answered "${vendorError.slice(0, 100)}". Nothing was installed; run install_integration again to retry.`,
    );
  const code = url.searchParams.get('code');
  if (!code) return page(400, 'Authorization failed', 'The callback has no code parameter.');

  let carried: StateCarried;
  try {
    carried = carriedSchema.parse(await config.cipher.decrypt(row.payload));
  } catch {
    return page(
      400,
      'Authorization failed',
      'The authorization state could not be read. Run install_integration again.',
    );
  }
  const installation = await findInstallation(db, tenant, carried.installationId);
  if (installation?.status !== 'pending' || installation.kind !== 'template')
    return page(409, 'Nothing to authorize', 'This installation was removed or is already authorized.');
  const template = (await loadCatalog(db, tenant)).find((e) => e.template.slug === installation.source)?.template;
  if (template?.auth.type !== 'oauth2_authorization_code')
    return page(409, 'Nothing to authorize', 'The template of this installation no longer uses OAuth authorization.');

  const credentials = await config.cipher.decrypt(installation.credentials);
  const exchanged = await exchangeAuthorizationCode(
    template.name,
    template.auth,
    { settings: installation.settings, credentials },
    { code, redirectUri: carried.redirectUri, codeVerifier: carried.codeVerifier },
    { fetch: (input, init) => fetch(input, init), allowLoopback: config.allowLoopbackUpstreams },
  );
  if (!exchanged.ok)
    return page(502, 'Authorization failed', `${exchanged.message}. Run install_integration again to retry.`);
  const stored = await swapInstallationCredentials(db, tenant, {
    installationId: installation.id,
    expected: installation.credentials,
    credentials: await config.cipher.encrypt(exchanged.credentials),
    activate: true,
  });
  if (!stored)
    return page(409, 'Nothing to authorize', 'This installation changed meanwhile; run install_integration again.');
  ctx.waitUntil(
    env.ORG_NOTIFIER.get(env.ORG_NOTIFIER.idFromName(row.organizationId)).notify('notifications/tools/list_changed'),
  );
  return page(
    200,
    `${installation.title} is connected`,
    `Gatehouse can now use ${template.name} for this installation. You can close this window and go back to your MCP client.`,
  );
}
