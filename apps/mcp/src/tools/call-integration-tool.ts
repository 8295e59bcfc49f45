/**
 * tools/call for an integration tool: pick the installation (`_integration` when several provide the name), read
 * and decrypt its credentials, run the template request, return the mapped result. Upstream failures come back as
 * tool errors (isError), never as a gateway 500.
 */
import { findSession, findVisibleInstallation } from '@gatehouse/integrations-adapters-cf';
import {
  credentialFailureOf,
  credentialsRefusedAgain,
  needsReauthError,
  noteCredentialFailure,
  noteCredentialSuccess,
} from './connection-health.js';
import { enforceRateLimit } from './rate-limit.js';
import { TemplateToolError, providerIdOf, templateProvider, upstreamHostProblem } from '@gatehouse/catalog';
import { currentCredentials, templateAuthorizationFlow } from '@gatehouse/upstream-oauth';
import {
  secretValuesOfCredentials,
  signInternalMessage,
  type ProviderToolCall,
  type ProviderToolOutcome,
} from '@gatehouse/integrations-core';
import { integrationsRpc } from './provider-registry.js';
import {
  INTEGRATION_ARGUMENT,
  SESSION_ARGUMENT,
  chooseRoute,
  type ProviderRoute,
  type ToolRoute,
} from './integration-toolset.js';
import { ToolError, type ToolContext } from './tool-types.js';

export async function callIntegrationTool(
  name: string,
  routes: readonly ToolRoute[],
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<unknown> {
  // An agent session belongs to one installation: naming the session picks it, no _integration needed.
  let candidates = routes;
  const named = args[SESSION_ARGUMENT];
  if (routes.length > 1 && typeof named === 'string' && args[INTEGRATION_ARGUMENT] === undefined) {
    const session = await findSession(ctx.db, ctx.principal, named);
    const match = session ? routes.filter((r) => r.installation.id === session.installationId) : [];
    if (match.length === 1) candidates = match;
  }
  const choice = chooseRoute(name, candidates, args);
  if (!choice.ok) throw new ToolError(choice.message, { reason: 'ambiguous_integration' });
  const { route } = choice;
  // Fresh read: the installation may have been removed since the toolset was cached, and credentials are never cached.
  const installation = await findVisibleInstallation(ctx.db, ctx.principal, route.installation.id);
  if (installation?.status !== 'active')
    throw new ToolError(`The integration "${route.installation.title}" is no longer installed. List tools again.`, {
      reason: 'unknown_installation',
    });
  if (ctx.trace) ctx.trace.installation = { id: installation.id, provider: providerIdOf(installation) };
  // Credentials the service refused: say what to do, without calling it again (connection-health.ts).
  if (installation.health?.needsReauth) throw needsReauthError(installation);
  // Counted before anything reaches the service (rate-limit.ts).
  await enforceRateLimit(ctx, installation, name);
  const { [INTEGRATION_ARGUMENT]: _choice, [SESSION_ARGUMENT]: sessionArg, ...toolArgs } = args;
  // Checked against this installation and the caller's workspace when the call is recorded (tool-call-record.ts).
  if (ctx.trace && typeof sessionArg === 'string') ctx.trace.sessionId = sessionArg;
  if (route.kind === 'provider')
    return callProviderTool(route, toolArgs, typeof sessionArg === 'string' ? sessionArg : null, ctx);
  const { template } = route;
  // Before anything is decrypted or renewed: the settings may send credentials only to the vendor's hosts (a token
  // refresh below goes to a token URL that may be built from them).
  const hostProblem = upstreamHostProblem(template, installation.settings);
  if (hostProblem)
    throw new ToolError(`${template.name}: ${hostProblem}`, { reason: 'outbound_refused', refused: true });
  let credentials = await ctx.config.cipher.decrypt(installation.credentials);
  ctx.trace?.secrets.push(...secretValuesOfCredentials(credentials));
  if (template.auth.type === 'oauth2_authorization_code') {
    // Renewed before expiry by the one upstream OAuth module (the code providers' tokens too).
    const current = await currentCredentials(
      ctx.db,
      ctx.config.cipher,
      installation,
      credentials,
      templateAuthorizationFlow({ ...template, auth: template.auth }),
      { fetch: ctx.fetch, allowLoopback: ctx.config.allowLoopbackUpstreams },
    );
    if (!current.ok) {
      // A refusal (a revoked grant) needs a new authorization; a vendor that did not answer may next time.
      if (current.refused)
        await noteCredentialFailure(ctx, installation, 'oauth_refresh_failed', `${template.name}: ${current.message}`);
      throw new ToolError(`${template.name}: ${current.message}`, { reason: 'credentials_unavailable' });
    }
    credentials = current.credentials;
    // A renewed token is a secret of this installation too.
    ctx.trace?.secrets.push(...secretValuesOfCredentials(credentials));
  }
  // Templates run through the same IntegrationProvider contract as code providers (the `custom` provider).
  const provider = templateProvider(template, {
    allowLoopback: ctx.config.allowLoopbackUpstreams,
    tokenCacheKey: installation.id,
  });
  try {
    const result = await provider.executeTool(route.tool.name, toolArgs, {
      installation: {
        id: installation.id,
        organizationId: installation.organizationId,
        workspaceId: installation.workspaceId,
        scope: installation.scope,
        title: installation.title,
        settings: installation.settings,
        credentials,
      },
      session: null,
      fetch: ctx.fetch,
    });
    await noteCredentialSuccess(ctx, installation);
    return result;
  } catch (err) {
    if (!(err instanceof TemplateToolError)) throw err;
    const failure = credentialFailureOf(err.status);
    if (failure) {
      const confirmed =
        failure === 'upstream_401' &&
        (await credentialsRefusedAgain(ctx, template, installation.settings, credentials).catch(() => false));
      await noteCredentialFailure(ctx, installation, failure, err.message, confirmed);
    }
    throw new ToolError(err.message, { reason: err.kind, refused: err.kind === 'outbound_refused' });
  }
}

/** Provider outcomes that are policy refusals (the gateway would not act), not failures. */
const PROVIDER_REFUSALS: ReadonlySet<string> = new Set([
  'invalid_signature',
  'replayed',
  'publication_required',
  'outside_publication',
]);

/**
 * A provider tool runs in the integrations worker (it holds the provider code and checks the session's publication):
 * send the call over the INTEGRATIONS binding (Workers RPC, a signed `provider-tool` message) and turn its refusals
 * into tool errors.
 */
async function callProviderTool(
  route: ProviderRoute,
  args: Record<string, unknown>,
  sessionId: string | null,
  ctx: ToolContext,
): Promise<unknown> {
  const call: ProviderToolCall = {
    organizationId: ctx.principal.organizationId,
    workspaceId: ctx.principal.workspaceId,
    userId: ctx.principal.userId,
    installationId: route.installation.id,
    tool: route.tool.name,
    arguments: args,
    sessionId,
    record: ctx.trace !== undefined,
  };
  const message = await signInternalMessage(ctx.config.signingKey, 'provider-tool', call);
  let outcome: ProviderToolOutcome;
  try {
    outcome = await integrationsRpc(ctx.integrations).callProviderTool(message);
  } catch {
    // The integrations worker failed (it logged why, rpcBoundary) or could not be reached: say so, never the
    // exception's text (a class does not survive the RPC boundary, so nothing here can vouch for it).
    throw new ToolError(
      `${route.tool.name} could not run: the integrations worker failed or is unreachable. Try again.`,
      { reason: 'integrations_unavailable' },
    );
  }
  if (ctx.trace && outcome.recorded) {
    ctx.trace.exchanges.push(...outcome.recorded.exchanges);
    ctx.trace.redacted = { arguments: outcome.recorded.arguments, result: outcome.recorded.result };
  }
  // The integrations worker marked the installation needs_reauth (connection-health.ts): its titles changed.
  if (!outcome.ok && outcome.error === 'credentials_refused') ctx.notifyToolsChanged();
  if (!outcome.ok)
    throw new ToolError(outcome.message, { reason: outcome.error, refused: PROVIDER_REFUSALS.has(outcome.error) });
  return outcome.result;
}
