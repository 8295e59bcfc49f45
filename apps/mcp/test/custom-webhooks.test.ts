/**
 * install_integration with "webhooks": true: the service's Standard Webhooks signing secret comes in with the
 * credentials, is stored encrypted, and is never shown again (not in the answer, not in list_installed_integrations);
 * the answer carries the custom provider's webhook path. A missing or malformed secret, or one without the flag, is
 * refused with what to fix.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { findInstallation, listVisibleInstallations } from '@gatehouse/integrations-adapters-cf';
import { createCredentialsCipher } from '@gatehouse/integrations-core';
import { callTool, crm, db, seedTenant } from './helpers.js';

const SECRET = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
const install = (
  token: string,
  extra: Record<string, unknown>,
  credentials: Record<string, string> = { api_key: 'k', webhook_secret: SECRET },
) =>
  callTool(token, 'install_integration', {
    template: 'acme-crm',
    credentials,
    settings: { base_url: 'https://crm.acme.test' },
    ...extra,
  });

describe('install_integration with webhooks', () => {
  it('stores the signing secret encrypted, never answers it, and answers the webhook path', async () => {
    const { token, org, ws } = await seedTenant('custom-webhooks');
    await callTool(token, 'create_integration', { template: crm() });
    const out = await install(token, { webhooks: true });
    expect(out.isError, out.text).toBe(false);
    expect(out.text).not.toContain(SECRET);
    const webhook = out.json.webhook as { url: string | null; path: string; signing: string };
    expect(webhook.signing).toMatch(/Standard Webhooks/);
    const [row] = (await listVisibleInstallations(db, { organizationId: org.id, workspaceId: ws.id })).filter(
      (i) => i.source === 'acme-crm',
    );
    expect(webhook.path).toBe(`/webhook/custom/${row!.id}`);
    // Without INTEGRATIONS_PUBLIC_URL the answer has the path only.
    expect(webhook.url).toBeNull();
    const stored = (await findInstallation(db, { organizationId: org.id }, row!.id))!.credentials;
    expect(stored).not.toContain(SECRET);
    expect(await createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID).decrypt(stored)).toEqual({
      api_key: 'k',
      webhook_secret: SECRET,
    });
    expect((await callTool(token, 'list_installed_integrations', {})).text).not.toContain(SECRET);
  });

  it('refuses a missing or malformed secret, and a secret without the flag, installing nothing', async () => {
    const { token, org, ws } = await seedTenant('custom-webhooks-refused');
    await callTool(token, 'create_integration', { template: crm() });
    const missing = await install(token, { webhooks: true }, { api_key: 'k' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/webhooks needs credentials\.webhook_secret/);
    const malformed = await install(token, { webhooks: true }, { api_key: 'k', webhook_secret: 'hunter2' });
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toMatch(/not a Standard Webhooks secret/);
    expect(malformed.text).not.toContain('hunter2');
    const unflagged = await install(token, {});
    expect(unflagged.isError).toBe(true);
    expect(unflagged.text).toMatch(/only with "webhooks": true/);
    expect(
      (await listVisibleInstallations(db, { organizationId: org.id, workspaceId: ws.id })).filter(
        (i) => i.source === 'acme-crm',
      ),
    ).toEqual([]);
  });
});
