/**
 * install_integration with "webhooks": true: the gateway chooses a Standard Webhooks signing secret, stores it
 * encrypted with the credentials, shows it once with the custom provider's webhook URL, and never again (not in
 * list_installed_integrations, not in a tool's upstream request).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { findInstallation, listVisibleInstallations } from '@gatehouse/integrations-adapters-cf';
import { createCredentialsCipher } from '@gatehouse/integrations-core';
import { callTool, crm, db, seedTenant } from './helpers.js';

describe('install_integration with webhooks', () => {
  it('answers the webhook path and a whsec_ secret once, and stores the secret encrypted', async () => {
    const { token, org, ws } = await seedTenant('custom-webhooks');
    await callTool(token, 'create_integration', { template: crm() });
    const out = await callTool(token, 'install_integration', { template: 'acme-crm', credentials: { api_key: 'k' }, settings: { base_url: 'https://crm.acme.test' }, webhooks: true });
    const webhook = out.json.webhook as { url: string | null; path: string; secret: string; signing: string };
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhook.signing).toMatch(/Standard Webhooks/);
    const [row] = (await listVisibleInstallations(db, { organizationId: org.id, workspaceId: ws.id })).filter((i) => i.source === 'acme-crm');
    expect(webhook.path).toBe(`/webhook/custom/${row!.id}`);
    // Without INTEGRATIONS_PUBLIC_URL the answer has the path only.
    expect(webhook.url).toBeNull();
    const stored = (await findInstallation(db, { organizationId: org.id }, row!.id))!.credentials;
    expect(stored).not.toContain(webhook.secret);
    expect(await createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID).decrypt(stored)).toEqual({ api_key: 'k', webhook_secret: webhook.secret });

    const listed = await callTool(token, 'list_installed_integrations', {});
    expect(listed.text).not.toContain(webhook.secret);
    // Each installation gets its own secret; without the flag there is none.
    const second = await callTool(token, 'install_integration', { template: 'acme-crm', title: 'CRM 2', credentials: { api_key: 'k' }, settings: { base_url: 'https://crm.acme.test' }, webhooks: true });
    expect((second.json.webhook as { secret: string }).secret).not.toBe(webhook.secret);
    const plain = await callTool(token, 'install_integration', { template: 'acme-crm', title: 'CRM 3', credentials: { api_key: 'k' }, settings: { base_url: 'https://crm.acme.test' } });
    expect(plain.json).not.toHaveProperty('webhook');
  });
});
