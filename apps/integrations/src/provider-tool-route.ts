/**
 * POST /internal/provider-tool: the main worker forwards calls of provider tools (mcp_<provider>_<tool>) here, signed
 * with MCP_SIGNING_KEY. A tool that writes runs only for an agent session whose publication grants its scope on its
 * target (the issue or thread the call writes to, the workspace, or the user); anything else is refused with a clear
 * message and nothing is sent upstream. The executor then gets a PublicationContext: the installation's credentials,
 * already checked against the publication, and the session.
 */
import {
  CredentialRefreshError,
  createDb,
  findInstallation,
  freshInstallationCredentials,
  findSession,
  installationPublications,
  sessionPublications,
  type PublicationRecord,
} from '@gatehouse/integrations-adapters-cf';
import {
  OutsidePublicationError,
  ProviderToolInputError,
  SESSION_DISPATCH_SIGNATURE_HEADER,
  jsonError,
  providerToolCallSchema,
  readCapped,
  verifyInternalRequest,
  type ProviderTool,
  type ProviderToolCall,
  type WorkerConfig,
} from '@gatehouse/integrations-core';
import { needsRefresh } from '@gatehouse/catalog';
import { oauthFlowOf } from './install-route.js';
import { outboundOf, policyFetch } from './outbound.js';
import { findProvider } from './providers.js';
import { toProviderInstallation } from './webhook-pipeline.js';

const MAX_BYTES = 256 * 1024;

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

export async function handleProviderTool(req: Request, env: Env, config: WorkerConfig): Promise<Response> {
  if (!req.headers.get(SESSION_DISPATCH_SIGNATURE_HEADER))
    return jsonError(401, 'invalid_signature', 'signature missing');
  const raw = await readCapped(req, MAX_BYTES);
  if (raw === null) return jsonError(413, 'payload_too_large', 'body too large');
  if (!(await verifyInternalRequest(config.signingKey, raw, req.headers.get(SESSION_DISPATCH_SIGNATURE_HEADER))).ok)
    return jsonError(401, 'invalid_signature', 'signature missing, invalid or expired');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return jsonError(400, 'invalid_call', 'not JSON');
  }
  const parsed = providerToolCallSchema.safeParse(json);
  if (!parsed.success) return jsonError(400, 'invalid_call', 'not a provider tool call');
  const call = parsed.data;
  const db = createDb(env.AUTH_DB);
  const tenant = { organizationId: call.organizationId };
  const row = await findInstallation(db, tenant, call.installationId);
  if (
    row?.kind !== 'provider' ||
    row.status !== 'active' ||
    (row.workspaceId !== null && row.workspaceId !== call.workspaceId)
  )
    return jsonError(404, 'unknown_installation', 'The integration is not installed in this workspace.');
  const provider = findProvider(row.source);
  const tool = provider?.tools.find((t) => t.name === call.tool);
  if (!provider || !tool) return jsonError(404, 'unknown_tool', `${call.tool} is not a tool of this integration.`);

  // Bad arguments are a 400 before anything else: before the publication check (they name no thread) and before
  // credentials are decrypted or renewed.
  const problem = tool.argumentProblem?.(call.arguments);
  if (problem) return jsonError(400, 'invalid_arguments', problem);

  let session: { id: string; threadKey: string } | null = null;
  if (call.sessionId) {
    const s = await findSession(db, tenant, call.sessionId);
    if (!s || s.installationId !== row.id || (s.workspaceId !== null && s.workspaceId !== call.workspaceId))
      return jsonError(
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
      return jsonError(
        403,
        'publication_required',
        `${tool.name} writes to ${provider.displayName}: call it with _session (an agent session from list_sessions) whose publication grants ${tool.publicationScope}, or have an admin grant a workspace publication.`,
      );
    if (!publicationAllows(pubs, tool, call)) {
      const where = pubs
        .filter((p) => p.scopes.includes(tool.publicationScope!))
        .map((p) => `${p.granularity} ${p.target}`);
      return jsonError(
        403,
        'outside_publication',
        `Session ${session?.id ?? ''} may not ${tool.publicationScope} there: ${where.length ? `its publication allows only ${where.join(', ')}` : `its publication does not grant ${tool.publicationScope}`}.`,
      );
    }
  }

  let credentials = await config.cipher.decrypt(row.credentials);
  const outbound = outboundOf(config);
  const flow = oauthFlowOf(provider);
  if (flow?.refresh && credentials.access_token_expires_at && needsRefresh(credentials)) {
    // Short-lived access (OAuth refresh, RFC 6749 §6; GitHub App installation tokens): renewed before it expires,
    // one renewal at a time per installation (D1 lease), the result stored encrypted for the next caller.
    const refresh = flow.refresh;
    try {
      credentials = await freshInstallationCredentials(db, tenant, config.cipher, row, credentials, {
        needsRefresh,
        refresh: async (latest) => {
          const res = await refresh(latest, { settings: row.settings, outbound });
          if (!res.ok) throw new CredentialRefreshError(`could not renew the access token: ${res.message}`);
          return res.credentials;
        },
      });
    } catch (err) {
      if (err instanceof CredentialRefreshError)
        return jsonError(502, 'upstream_failed', `${provider.displayName}: ${err.message}`);
      throw err;
    }
  }
  const installation = toProviderInstallation(row, credentials);
  // Provider API calls obey the same outbound policy as templates (an api_url setting can point at a fake in dev).
  try {
    const result = await provider.executeTool(tool.name, call.arguments, {
      installation,
      session,
      fetch: policyFetch(outbound),
    });
    return Response.json({ result });
  } catch (err) {
    // Arguments that do not match the tool's input: which fields, and why (no values).
    if (err instanceof ProviderToolInputError) return jsonError(400, 'invalid_arguments', err.message);
    if (err instanceof OutsidePublicationError) return jsonError(403, 'outside_publication', err.message);
    // Provider errors carry our own messages (status codes), never upstream bodies or credentials.
    return jsonError(
      502,
      'upstream_failed',
      `${provider.displayName}: ${err instanceof Error ? err.message : 'the call failed'}`,
    );
  }
}
