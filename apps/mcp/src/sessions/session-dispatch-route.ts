/**
 * POST /internal/session-dispatch: the integrations worker's SessionDispatch, delivered over the MAIN service
 * binding. The body is trusted only after the Gatehouse-Signature check over the exact raw bytes; the installation
 * named must belong to the organization named, so a valid signature cannot write into another tenant.
 */
import {
  appendSessionDispatch,
  createDb,
  findProviderInstallationForWebhook,
  findTemplateInstallationForWebhook,
} from '@gatehouse/integrations-adapters-cf';
import { CUSTOM_PROVIDER_ID } from '@gatehouse/catalog';
import {
  SESSION_DISPATCH_SIGNATURE_HEADER,
  sessionDispatchSchema,
  verifySessionDispatch,
} from '@gatehouse/integrations-core';
import type { WorkerConfig } from '@gatehouse/integrations-core';
import { jsonError, readCapped } from '@gatehouse/integrations-core';

const MAX_DISPATCH_BYTES = 256 * 1024;

export async function handleSessionDispatch(req: Request, env: Env, config: WorkerConfig): Promise<Response> {
  // Cheap refusals before reading anything: this route is reachable from the internet, not only the service binding.
  if (!req.headers.get(SESSION_DISPATCH_SIGNATURE_HEADER))
    return jsonError(401, 'invalid_signature', 'the dispatch signature is missing, invalid or expired');
  const raw = await readCapped(req, MAX_DISPATCH_BYTES);
  if (raw === null)
    return jsonError(413, 'payload_too_large', `dispatch bodies are limited to ${MAX_DISPATCH_BYTES} bytes`);
  const check = await verifySessionDispatch(config.signingKey, raw, req.headers.get(SESSION_DISPATCH_SIGNATURE_HEADER));
  if (!check.ok) return jsonError(401, 'invalid_signature', 'the dispatch signature is missing, invalid or expired');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return jsonError(400, 'invalid_json', 'the dispatch body is not JSON');
  }
  const parsed = sessionDispatchSchema.safeParse(json);
  if (!parsed.success)
    return jsonError(
      400,
      'invalid_dispatch',
      `invalid SessionDispatch: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  const dispatch = parsed.data;
  const db = createDb(env.AUTH_DB);
  // The custom provider's sessions belong to catalog template installations; every other provider's to its own.
  const installation =
    dispatch.provider === CUSTOM_PROVIDER_ID
      ? await findTemplateInstallationForWebhook(db, dispatch.installationId)
      : await findProviderInstallationForWebhook(db, dispatch.provider, dispatch.installationId);
  if (!installation || installation.organizationId !== dispatch.organizationId)
    return jsonError(404, 'unknown_installation', 'no active installation of that provider in that organization');
  const result = await appendSessionDispatch(db, { organizationId: installation.organizationId }, dispatch);
  return Response.json(result, { status: result.appended ? 201 : 200 });
}
