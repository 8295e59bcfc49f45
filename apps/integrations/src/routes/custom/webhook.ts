/**
 * Custom webhooks: Standard Webhooks signatures and Gatehouse's event envelope, as every catalog template serves them
 * through the provider contract (packages/catalog standard-webhooks.ts; the envelope is documented in
 * docs/providers.md, "The custom provider").
 */
import { CUSTOM_PROVIDER_ID, parseStandardWebhook } from '@gatehouse/catalog';
import type { ProviderInstallation, WebhookParseResult } from '@gatehouse/integrations-core';

export function parseCustomWebhook(req: Request, installation: ProviderInstallation): Promise<WebhookParseResult> {
  return parseStandardWebhook(req, installation, CUSTOM_PROVIDER_ID);
}
