/**
 * Custom install: a catalog template installed with `install_integration` (main worker) and `"webhooks": true`, which
 * generates the Standard Webhooks signing secret (whsec_…, chosen by us, shown once) and answers this provider's
 * webhook URL. The template's credential fields are what is pasted; the webhook secret is added by the gateway.
 */
import { WEBHOOK_SECRET_FIELDS } from '@gatehouse/catalog';
import type { InstallSpec } from '@gatehouse/integrations-core';

export const customInstall = {
  type: 'credentials',
  fields: WEBHOOK_SECRET_FIELDS,
  settings: [],
  installWith:
    'custom integrations are catalog templates: install one with the install_integration tool and "webhooks": true; its answer carries this provider’s webhook URL and the signing secret',
} as const satisfies InstallSpec;
