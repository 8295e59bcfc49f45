/**
 * Provider tool calls (mcp_<provider>_<tool>), sent by the main worker over Workers RPC (`IntegrationsRpc.callProviderTool`,
 * packages/integrations-core/src/internal-rpc.ts) as a signed `provider-tool` message, accepted once. A tool that
 * writes runs only for an agent session whose publication grants its scope on its target (the issue or thread the
 * call writes to, the workspace, or the user); anything else is refused with a clear message and nothing is sent
 * upstream. The executor then gets a PublicationContext: the installation's credentials, already checked against
 * the publication, and the session.
 */
import {
  createDb,
  findSession,
  installationPublications,
  findInstallation,
  recordCredentialFailure,
  recordInternalMessage,
  sessionPublications,
  type PublicationRecord,
} from '@gatehouse/integrations-adapters-cf';
import {
  CredentialsRefusedError,
  OutsidePublicationError,
  ProviderToolInputError,
  providerToolCallSchema,
  recordingFetch,
  redactRecorded,
  secretValuesOf,
  secretValuesOfCredentials,
  verifyInternalMessage,
  type UpstreamExchange,
  type IntegrationProvider,
  type PublicationContext,
  type ProviderTool,
  type ProviderToolCall,
  type ProviderToolOutcome,
  type SignedInternalMessage,
  type WorkerConfig,
} from '@gatehouse/integrations-core';
import { currentCredentials } from '@gatehouse/upstream-oauth';
import { oauthFlowOf } from './install-route.js';
import { outboundOf, policyFetch } from './outbound.js';
import { findProvider } from './providers.js';
import { toProviderInstallation } from './webhook-pipeline.js';

/** A failed health write is logged; the call's own answer goes out regardless. */
function logHealth(err: unknown): false {
  console.error(
    JSON.stringify({ msg: 'connection health not recorded', error: err instanceof Error ? err.name : 'unknown' }),
  );
  return false;
}

/** Whether one of the publications lets `tool` write with this input, for this caller. */
export function publicationAllows(
  pubs: readonly PublicationRecord[],
  tool: ProviderTool,
  call: ProviderToolCall,
): boolean {
  const target = tool.target?.(call.arguments) ?? null;
  return pubs.some((p) => {
    if (!p.scopes.includes(tool.publicationScope!)) return false;
    if (p.granularity === 'issue') return target !== null && p.target === target;
    if (p.granularity === 'workspace') return p.target === call.workspaceId;
    return p.target === call.userId;
  });
}

type Refusal = Extract<ProviderToolOutcome, { ok: false }>;

function refuse(status: Refusal['status'], error: string, message: string): Refusal {
  return { ok: false, status, error, message };
}

/**
 * Runs the provider tool call a signed `provider-tool` message carries. Returns a tagged outcome (a refusal with
 * the status it would have on a route); throws only on the unexpected (D1 failing), which the caller reports as a
 * tool error.
 */
export async function runProviderTool(
  message: SignedInternalMessage,
  env: Env,
  config: WorkerConfig,
): Promise<ProviderToolOutcome> {
  const check = await verifyInternalMessage(config.verifyingKeys, 'provider-tool', message);
  if (!check.ok) return refuse(401, 'invalid_signature', `the call's signature was refused (${check.reason})`);
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch {
    return refuse(400, 'invalid_call', 'not JSON');
  }
  const parsed = providerToolCallSchema.safeParse(json);
  if (!parsed.success) return refuse(400, 'invalid_call', 'not a provider tool call');
  const call = parsed.data;
  const db = createDb(env.AUTH_DB);
  const tenant = { organizationId: call.organizationId };
  // A message is accepted once (a replay inside the signing window is refused). The receipt write runs beside the
  // installation read rather than in one batch with it: the read then does not wait on a write transaction
  // (pnpm bench, provider tool call row).
  const [fresh, row] = await Promise.all([
    recordInternalMessage(db, message),
    findInstallation(db, tenant, call.installationId),
  ]);
  if (!fresh) return refuse(401, 'replayed', 'this signed call was received before (a replay)');
  if (
    row?.kind !== 'provider' ||
    row.status !== 'active' ||
    (row.workspaceId !== null && row.workspaceId !== call.workspaceId)
  )
    return refuse(404, 'unknown_installation', 'The integration is not installed in this workspace.');
  const provider = findProvider(row.source);
  const tool = provider?.tools.find((t) => t.name === call.tool);
  if (!provider || !tool) return refuse(404, 'unknown_tool', `${call.tool} is not a tool of this integration.`);

  // Bad arguments are a 400 before anything else: before the publication check (they name no thread) and before
  // credentials are decrypted or renewed.
  const problem = tool.argumentProblem?.(call.arguments);
  if (problem) return refuse(400, 'invalid_arguments', problem);

  let session: { id: string; threadKey: string } | null = null;
  if (call.sessionId) {
    const s = await findSession(db, tenant, call.sessionId);
    if (!s || s.installationId !== row.id || (s.workspaceId !== null && s.workspaceId !== call.workspaceId))
      return refuse(
        404,
        'unknown_session',
        `No session ${call.sessionId} of this integration in your workspace; see list_sessions.`,
      );
    session = { id: s.id, threadKey: s.threadKey };
  }
  if (tool.publicationScope) {
    // The session's own publication, and any workspace- or user-wide ones granted to the installation.
    const [sessionPubs, standing] = await Promise.all([
      session ? sessionPublications(db, tenant, session.id) : [],
      installationPublications(db, tenant, row.id),
    ]);
    const pubs = [...sessionPubs, ...standing];
    if (!session && !publicationAllows(standing, tool, call))
      return refuse(
        403,
        'publication_required',
        `${tool.name} writes to ${provider.displayName}: call it with _session (an agent session from list_sessions) whose publication grants ${tool.publicationScope}, or have an admin grant a workspace publication.`,
      );
    if (!publicationAllows(pubs, tool, call)) {
      const where = pubs
        .filter((p) => p.scopes.includes(tool.publicationScope!))
        .map((p) => `${p.granularity} ${p.target}`);
      return refuse(
        403,
        'outside_publication',
        `Session ${session?.id ?? ''} may not ${tool.publicationScope} there: ${where.length ? `its publication allows only ${where.join(', ')}` : `its publication does not grant ${tool.publicationScope}`}.`,
      );
    }
  }

  const outbound = outboundOf(config);
  // Short-lived access (OAuth refresh, RFC 6749 §6; GitHub App installation tokens): renewed before it expires,
  // one renewal at a time per installation, by the one upstream OAuth module templates use too.
  const before = await config.cipher.decrypt(row.credentials);
  const current = await currentCredentials(db, config.cipher, row, before, oauthFlowOf(provider) ?? null, outbound);
  if (!current.ok) {
    if (!current.refused) return refuse(502, 'upstream_failed', `${provider.displayName}: ${current.message}`);
    // The vendor refused the renewal (a revoked grant): the installation needs a new authorization.
    const message = `${provider.displayName}: ${current.message}`;
    await recordCredentialFailure(db, tenant, row, { kind: 'oauth_refresh_failed', message, needsReauth: true }).catch(
      logHealth,
    );
    return refuse(401, 'credentials_refused', message);
  }
  const { credentials } = current;
  const installation = toProviderInstallation(row, credentials);
  // Provider API calls obey the same outbound policy as templates (an api_url setting can point at a fake in dev).
  // When the caller records run history, each exchange is recorded too and returned redacted with this
  // installation's secrets (the main worker never sees them).
  const exchanges: UpstreamExchange[] = [];
  const recorder = call.record ? recordingFetch(policyFetch(outbound), exchanges) : null;
  const outcome = await executeProviderTool(provider, tool, call, {
    installation,
    session,
    fetch: recorder?.fetch ?? policyFetch(outbound),
  });
  // The vendor refused the credentials themselves (401, a revoked token): needs_reauth until they are replaced.
  if (!outcome.ok && outcome.error === 'credentials_refused')
    await recordCredentialFailure(db, tenant, row, {
      kind: 'upstream_401',
      message: outcome.message,
      needsReauth: true,
    });
  if (!recorder) return outcome;
  await recorder.settled();
  // The secrets the call started with and those it holds now (a token renewed on the way).
  const secrets = [
    ...secretValuesOf(env),
    ...secretValuesOfCredentials(before),
    ...secretValuesOfCredentials(credentials),
  ];
  const recorded = redactRecorded(
    { exchanges, arguments: call.arguments, ...(outcome.ok ? { result: outcome.result } : {}) },
    secrets,
  ) as NonNullable<ProviderToolOutcome['recorded']>;
  return { ...outcome, recorded };
}

/** Runs the tool; the provider's own errors become refusals with their messages (never upstream bodies). */
async function executeProviderTool(
  provider: IntegrationProvider,
  tool: ProviderTool,
  call: ProviderToolCall,
  ctx: PublicationContext,
): Promise<ProviderToolOutcome> {
  try {
    return { ok: true, result: await provider.executeTool(tool.name, call.arguments, ctx) };
  } catch (err) {
    // Arguments that do not match the tool's input: which fields, and why (no values).
    if (err instanceof ProviderToolInputError) return refuse(400, 'invalid_arguments', err.message);
    if (err instanceof OutsidePublicationError) return refuse(403, 'outside_publication', err.message);
    if (err instanceof CredentialsRefusedError)
      return refuse(401, 'credentials_refused', `${provider.displayName}: ${err.message}`);
    // Provider errors carry our own messages (status codes), never upstream bodies or credentials.
    return refuse(
      502,
      'upstream_failed',
      `${provider.displayName}: ${err instanceof Error ? err.message : 'the call failed'}`,
    );
  }
}
