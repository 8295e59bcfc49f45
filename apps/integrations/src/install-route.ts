/**
 * /install/<provider>: installing a code provider. Credential-paste providers take
 * `POST /install/<id>` with `Authorization: Bearer <API token>` and a JSON body
 * `{ "credentials": {…}, "settings"?: {…}, "title"?: string, "scope"?: "Local" | "Global" }`; the answer carries the
 * webhook URL to configure at the vendor. With `"mode": "oauth"` (providers with an OAuth install), the credentials
 * are the organization's OAuth app (client id and secret, webhook facts); the installation is stored `pending`, a
 * single-use state is recorded, and the answer carries the authorization URL to open. `GET /install/<id>/callback`
 * (oauth-install.ts) finishes it. A MEMBER may install Local only (integrations-core installRefusal). `GET /install/<id>` describes what to send.
 */
import { authenticate, createDb, createInstallation, wwwAuthenticate } from '@gatehouse/integrations-adapters-cf';
import { startOAuthInstall } from './oauth-install.js';
import { outboundOf } from './outbound.js';
import {
  installRefusal,
  jsonError,
  readCapped,
  type IntegrationProvider,
  type WorkerConfig,
} from '@gatehouse/integrations-core';
import { z } from 'zod';

const bodySchema = z.object({
  mode: z.enum(['credentials', 'oauth']).default('credentials'),
  credentials: z.record(z.string(), z.string()),
  settings: z.record(z.string(), z.string()).default({}),
  title: z.string().min(1).max(80).optional(),
  scope: z.enum(['Local', 'Global']).default('Global'),
});

/** Largest install body read, bytes: credentials, settings and a title (a GitHub App's PEM key is ~2 KB). */
export const MAX_INSTALL_BYTES = 64 * 1024;

export function webhookUrl(base: string, providerId: string, installationId: string): string {
  return `${base.replace(/\/+$/, '')}/webhook/${providerId}/${installationId}`;
}

/** The provider's OAuth install flow, if it has one. */
export const oauthFlowOf = (provider: IntegrationProvider) =>
  provider.install.type === 'oauth' ? provider.install.oauth : undefined;

export function describeInstall(provider: IntegrationProvider): Response {
  const oauth = oauthFlowOf(provider);
  return Response.json({
    provider: provider.id,
    type: provider.install.type,
    fields: provider.install.fields,
    settings: provider.install.settings ?? [],
    ...(oauth ? { oauth: { scopes: oauth.scopes, app_fields: oauth.appFields } } : {}),
    how:
      provider.install.type === 'credentials' && provider.install.installWith
        ? provider.install.installWith
        : `POST this URL with Authorization: Bearer <API token> and {"credentials": {…}}${oauth ? ', or {"mode": "oauth", "credentials": {<app fields>}} to authorize at the vendor' : ''}`,
  });
}

export async function handleInstall(
  req: Request,
  provider: IntegrationProvider,
  env: Env,
  config: WorkerConfig,
  baseUrl: string,
): Promise<Response> {
  if (provider.install.type === 'credentials' && provider.install.installWith)
    return jsonError(400, 'install_elsewhere', `${provider.displayName}: ${provider.install.installWith}`);
  const db = createDb(env.AUTH_DB);
  const auth = await authenticate(req, db);
  if (!auth.ok)
    return jsonError(auth.status, auth.error ?? 'unauthorized', auth.description, {
      'www-authenticate': wwwAuthenticate(auth),
    });
  const text = await readCapped(req, MAX_INSTALL_BYTES);
  if (text === null)
    return jsonError(413, 'payload_too_large', `install bodies are limited to ${MAX_INSTALL_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return jsonError(400, 'invalid_json', 'send a JSON body: {"credentials": {…}, "title"?, "scope"?}');
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success)
    return jsonError(
      400,
      'invalid_request',
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  const oauth = parsed.data.mode === 'oauth' ? oauthFlowOf(provider) : undefined;
  if (parsed.data.mode === 'oauth' && !oauth)
    return jsonError(
      400,
      'invalid_request',
      `${provider.displayName} has no OAuth install; send the credentials instead`,
    );
  const fields = oauth ? oauth.appFields : provider.install.fields;
  const known = new Set(fields.map((f) => f.name));
  const problems = [
    ...Object.keys(parsed.data.credentials)
      .filter((k) => !known.has(k))
      .map((k) => `unknown credential "${k}"`),
    ...fields
      .filter((f) => f.required && !parsed.data.credentials[f.name])
      .map((f) => `missing credential "${f.name}"`),
  ];
  if (problems.length)
    return jsonError(400, 'invalid_credentials', `${problems.join('; ')} (expected: ${[...known].join(', ')})`);
  const knownSettings = new Set((provider.install.settings ?? []).map((f) => f.name));
  const unknownSettings = Object.keys(parsed.data.settings).filter((k) => !knownSettings.has(k));
  if (unknownSettings.length)
    return jsonError(
      400,
      'invalid_settings',
      `unknown setting ${unknownSettings.map((k) => `"${k}"`).join(', ')} (expected: ${[...knownSettings].join(', ') || 'none'})`,
    );
  const p = auth.principal;
  // Local installs go into the token's own workspace; the role rule decides the rest (integrations-core roles.ts).
  const refusal = installRefusal(
    p.role,
    { scope: parsed.data.scope === 'Local' ? 'local' : 'global', workspaceId: p.workspaceId },
    p.workspaceId,
  );
  if (refusal) return jsonError(403, 'insufficient_role', `${provider.displayName}: ${refusal}`);
  if (!oauth && provider.install.verify) {
    // A pasted token is checked with the vendor before it is stored (the provider's identity call).
    const checked = await provider.install.verify(parsed.data.credentials, {
      settings: parsed.data.settings,
      outbound: outboundOf(config),
    });
    if (!checked.ok) return jsonError(400, 'invalid_credentials', `${provider.displayName}: ${checked.message}`);
  }
  if (oauth) return startOAuthInstall(db, config, provider, oauth, p, parsed.data, baseUrl);
  const row = await createInstallation(db, p, {
    kind: 'provider',
    source: provider.id,
    title: parsed.data.title ?? provider.displayName,
    scope: parsed.data.scope === 'Local' ? 'local' : 'global',
    workspaceId: p.workspaceId,
    settings: parsed.data.settings,
    credentials: await config.cipher.encrypt(parsed.data.credentials),
    createdBy: p.userId,
  });
  return Response.json(
    {
      installation: { id: row.id, handle: row.handle, title: row.title, scope: parsed.data.scope },
      webhook_url: webhookUrl(baseUrl, provider.id, row.id),
    },
    { status: 201 },
  );
}
