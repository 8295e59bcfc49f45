/**
 * Connection health of template installations (issue 19 §4): the call path records when an installation's
 * credentials last worked and last failed, and how. A 401 from the service (confirmed by the template's validation
 * request), or an OAuth refresh the vendor refuses (400/401 from its token endpoint), makes the installation
 * `needs_reauth`: its tools stay listed, titled so, and answer an error saying what to do,
 * without calling the service, until update_integration_credentials (or a new install) brings credentials that work.
 * A 403 is recorded but changes nothing: it usually means one resource is off limits, not that the credentials died.
 * Connected clients are told the list changed when an installation becomes `needs_reauth` or recovers. Provider
 * installations are marked by the integrations worker (provider-tool-call.ts), which also counts webhook deliveries
 * refused for their signature (webhook-pipeline.ts); this module renders all of it.
 */
import {
  recordCredentialFailure,
  recordCredentialSuccess,
  type CredentialFailureKind,
  type InstallationRecord,
} from '@gatehouse/integrations-adapters-cf';
import { validateCredentials, type IntegrationTemplate } from '@gatehouse/catalog';
import { ToolError, type ToolContext } from './tool-types.js';

/** A working call is written at most this often per installation (ms): health must not cost a write per call. */
export const SUCCESS_WRITE_INTERVAL_MS = 10 * 60_000;

/** What tools/list and list_installed_integrations call an installation's state. */
export function installationStatus(row: Pick<InstallationRecord, 'status' | 'health'>): string {
  return row.health?.needsReauth ? 'needs_reauth' : row.status;
}

/** The wire form of installations.health (ISO times, snake case). */
export function shownHealth(h: NonNullable<InstallationRecord['health']>) {
  const iso = (t: number | undefined) => (t ? new Date(t).toISOString() : null);
  return {
    last_success_at: iso(h.lastSuccessAt),
    last_failure_at: iso(h.lastFailureAt),
    last_failure: h.lastFailure ?? null,
    needs_reauth: h.needsReauth === true,
    webhook_signature_failures: h.webhookSignatureFailures ?? 0,
    last_webhook_signature_failure_at: iso(h.lastWebhookSignatureFailureAt),
  };
}

/** The error a needs_reauth installation's tools answer, naming what failed and what to do. */
export function needsReauthError(row: Pick<InstallationRecord, 'title' | 'handle' | 'health' | 'kind'>): ToolError {
  const failure = row.health?.lastFailure;
  const when = row.health?.lastFailureAt ? new Date(row.health.lastFailureAt).toISOString() : 'recently';
  const fix =
    row.kind === 'template' && failure?.kind !== 'oauth_refresh_failed'
      ? `Give it working credentials with update_integration_credentials { integration: "${row.handle}", credentials }, or install it again.`
      : `Install it again (authorize anew), then uninstall "${row.handle}".`;
  return new ToolError(
    `The integration "${row.title}" needs re-authorization: ${failure ? failure.message : 'its credentials were refused'} (${when}). ${fix}`,
    { reason: 'needs_reauth', refused: true },
  );
}

/** Records a refused credential; tells connected clients when the installation just became needs_reauth. */
export async function noteCredentialFailure(
  ctx: ToolContext,
  row: InstallationRecord,
  kind: CredentialFailureKind,
  message: string,
  needsReauth: boolean = kind !== 'upstream_403',
): Promise<void> {
  const marked = await recordCredentialFailure(ctx.db, ctx.principal, row, { kind, message, needsReauth }).catch(
    bookkeepingFailed,
  );
  if (marked) ctx.notifyToolsChanged();
}

/** A failed health write is logged, never the call's failure (the call's own outcome matters more). */
function bookkeepingFailed(err: unknown): false {
  console.error(
    JSON.stringify({ msg: 'connection health not recorded', error: err instanceof Error ? err.name : 'unknown' }),
  );
  return false;
}

/** Records a working call when the last record is older than SUCCESS_WRITE_INTERVAL_MS. */
export async function noteCredentialSuccess(ctx: ToolContext, row: InstallationRecord): Promise<void> {
  const last = row.health?.lastSuccessAt ?? 0;
  if (Date.now() - last > SUCCESS_WRITE_INTERVAL_MS)
    await recordCredentialSuccess(ctx.db, ctx.principal, row).catch(bookkeepingFailed);
}

/**
 * Whether a 401 on a tool call is the credentials' (the template's validation request, as at install, is refused
 * with 401 too) rather than one endpoint's: one caller's request must not block a shared installation for everyone.
 * Without a validation request the 401 is taken at its word.
 */
export async function credentialsRefusedAgain(
  ctx: ToolContext,
  template: IntegrationTemplate,
  settings: Record<string, unknown>,
  credentials: Record<string, string>,
): Promise<boolean> {
  if (!template.validation) return true;
  const check = await validateCredentials(
    template,
    { settings, credentials },
    { fetch: ctx.fetch, allowLoopback: ctx.config.allowLoopbackUpstreams },
  );
  return !check.ok && check.status === 401;
}

/** The failure kind of an upstream status that says something about the credentials, or null. */
export function credentialFailureOf(status: number | undefined): CredentialFailureKind | null {
  if (status === 401) return 'upstream_401';
  if (status === 403) return 'upstream_403';
  return null;
}
