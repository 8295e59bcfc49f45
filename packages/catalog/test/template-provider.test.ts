/**
 * A catalog template served through the IntegrationProvider contract (the `custom` provider): Standard Webhooks
 * verification (signed with the standard's reference library at test time) and the documented envelope, and the
 * template's tools executed through `executeTool`.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { ProviderInstallation } from '@gatehouse/integrations-core';
import {
  CUSTOM_PROVIDER_ID,
  TemplateToolError,
  customProvider,
  findBuiltinTemplate,
  providerIdOf,
  isWebhookSecret,
  parseStandardWebhook,
  templateProvider,
} from '../src/index.js';

const jira = findBuiltinTemplate('jira-cloud')!;
/** A Standard Webhooks secret as a sending service makes one: whsec_ + base64 of 32 random bytes. */
const createWebhookSecret = () => `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
const SECRET = createWebhookSecret();

function installation(credentials: Record<string, string>): ProviderInstallation {
  return {
    id: 'inst-1',
    organizationId: 'org-1',
    workspaceId: null,
    scope: 'global',
    title: 'Jira',
    settings: { site_url: 'http://127.0.0.1:9' },
    credentials,
  };
}

function signed(body: unknown, { secret = SECRET, at = new Date(), id = `msg_${crypto.randomUUID()}` } = {}): Request {
  const raw = JSON.stringify(body);
  return new Request('https://integrations.test/webhook/custom/inst-1', {
    method: 'POST',
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, raw),
    },
    body: raw,
  });
}

const assigned = {
  type: 'ticket.assigned',
  thread: { key: 'TCK-42', title: 'Printer on fire' },
  actor: 'ada',
  data: { priority: 'high' },
};

describe('Standard Webhooks for template installations', () => {
  it('turns a signed event with a thread into a session event keyed by installation and thread', async () => {
    const out = await parseStandardWebhook(
      signed(assigned, { id: 'msg_1' }),
      installation({ webhook_secret: SECRET }),
      'custom',
    );
    expect(out).toEqual({
      ok: true,
      event: {
        provider: 'custom',
        deliveryId: 'msg_1',
        name: 'ticket.assigned',
        threadKey: 'inst-1/TCK-42',
        title: 'Printer on fire',
        actor: 'ada',
        summary: 'ticket.assigned on TCK-42',
        data: { priority: 'high' },
      },
    });
  });

  it('acknowledges an event without a thread as ignored', async () => {
    expect(
      await parseStandardWebhook(
        signed({ type: 'ping' }, { id: 'msg_2' }),
        installation({ webhook_secret: SECRET }),
        'custom',
      ),
    ).toEqual({ ok: true, event: null, deliveryId: 'msg_2', name: 'ping' });
  });

  it('refuses another secret, a tampered body, a missing header and a stale or future timestamp', async () => {
    const inst = installation({ webhook_secret: SECRET });
    expect(await parseStandardWebhook(signed(assigned, { secret: createWebhookSecret() }), inst, 'custom')).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const req = signed(assigned);
    const tampered = new Request(req.url, {
      method: 'POST',
      headers: req.headers,
      body: JSON.stringify({ ...assigned, actor: 'mallory' }),
    });
    expect(await parseStandardWebhook(tampered, inst, 'custom')).toEqual({ ok: false, reason: 'bad_signature' });
    const unsigned = signed(assigned);
    unsigned.headers.delete('webhook-signature');
    expect(await parseStandardWebhook(unsigned, inst, 'custom')).toEqual({ ok: false, reason: 'missing_signature' });
    expect(
      await parseStandardWebhook(signed(assigned, { at: new Date(Date.now() - 10 * 60_000) }), inst, 'custom'),
    ).toMatchObject({ ok: false, reason: 'stale_timestamp' });
    expect(
      await parseStandardWebhook(signed(assigned, { at: new Date(Date.now() + 10 * 60_000) }), inst, 'custom'),
    ).toMatchObject({ ok: false, reason: 'stale_timestamp' });
  });

  it('fails closed without a secret, accepts the previous secret during rotation, and validates the envelope after the signature', async () => {
    expect(await parseStandardWebhook(signed(assigned), installation({}), 'custom')).toEqual({
      ok: false,
      reason: 'missing_secret',
    });
    const old = createWebhookSecret();
    expect(
      await parseStandardWebhook(
        signed(assigned, { secret: old }),
        installation({ webhook_secret: SECRET, previous_webhook_secret: old }),
        'custom',
      ),
    ).toMatchObject({ ok: true });
    expect(
      await parseStandardWebhook(signed({ thread: { key: 'x' } }), installation({ webhook_secret: SECRET }), 'custom'),
    ).toMatchObject({ ok: false, reason: 'malformed_payload', detail: 'type' });
  });
});

describe('Standard Webhooks limits and secrets', () => {
  it('refuses a webhook-id too long to key a dispatch and data too large for a session event, after the signature', async () => {
    const inst = installation({ webhook_secret: SECRET });
    expect(
      await parseStandardWebhook(signed(assigned, { id: `msg_${'x'.repeat(200)}` }), inst, 'custom'),
    ).toMatchObject({ ok: false, reason: 'malformed_payload' });
    const big = { ...assigned, data: { blob: 'x'.repeat(40 * 1024) } };
    expect(await parseStandardWebhook(signed(big), inst, 'custom')).toMatchObject({
      ok: false,
      reason: 'malformed_payload',
      detail: expect.stringMatching(/data larger than/),
    });
  });

  it('recognises the standard’s secret form', () => {
    expect(isWebhookSecret(SECRET)).toBe(true);
    expect(isWebhookSecret('whsec_short')).toBe(false);
    expect(isWebhookSecret(SECRET.slice(6))).toBe(false);
    expect(isWebhookSecret(`whsec_${'!'.repeat(44)}`)).toBe(false);
  });
});

describe('templateProvider', () => {
  it('lists the template’s tools under their generic names and installs with its credential fields', () => {
    const provider = templateProvider(jira, { allowLoopback: true });
    expect(provider.id).toBe('custom');
    expect(provider.tools.map((t) => t.name)).toEqual(jira.tools.map((t) => t.name));
    // Every hint spelled out (tool-annotations.ts): a read is neither destructive nor repeated with effect.
    expect(provider.tools.find((t) => t.name === 'get_issue')?.annotations).toEqual({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    });
    expect(provider.tools.find((t) => t.name === 'create_issue')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
    });
    expect(provider.install.fields.map((f) => f.name)).toEqual([
      'email',
      'api_token',
      'webhook_secret',
      'previous_webhook_secret',
    ]);
  });

  it('executes a tool with the installation’s credentials, never sending the webhook secret', async () => {
    const seen: Request[] = [];
    const provider = templateProvider(jira, { allowLoopback: true });
    const result = await provider.executeTool(
      'get_issue',
      { issue_key: 'PROJ-1' },
      {
        installation: installation({ email: 'me@acme.test', api_token: 'tok', webhook_secret: SECRET }),
        session: null,
        fetch: async (url, init) => {
          seen.push(new Request(url, init));
          return Response.json({
            key: 'PROJ-1',
            fields: { summary: 'S', status: { name: 'Done' }, issuetype: { name: 'Bug' } },
          });
        },
      },
    );
    expect(result).toMatchObject({ key: 'PROJ-1', status: 'Done' });
    expect(new URL(seen[0]!.url).pathname).toBe('/rest/api/3/issue/PROJ-1');
    expect(seen[0]!.headers.get('authorization')).toBe(`Basic ${btoa('me@acme.test:tok')}`);
    const sent: string[] = [];
    seen[0]!.headers.forEach((value) => {
      sent.push(value);
    });
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.join('\n')).not.toContain(SECRET);
  });

  it('turns a failure into a TemplateToolError with the caller’s message', async () => {
    const provider = templateProvider(jira, { allowLoopback: false });
    const call = provider.executeTool(
      'get_issue',
      { issue_key: 'PROJ-1' },
      { installation: installation({ email: 'e', api_token: 't' }), session: null, fetch },
    );
    await expect(call).rejects.toBeInstanceOf(TemplateToolError);
    await expect(call).rejects.toThrow(/loopback|private|not allowed/i);
    await expect(
      provider.executeTool('no_such_tool', {}, { installation: installation({}), session: null, fetch }),
    ).rejects.toThrow(/has no tool no_such_tool/);
  });
});

describe('the custom registry entry and a template’s provider are one definition', () => {
  it('shares id, webhook parsing, dispatch and publication; adds the template’s fields and tools', async () => {
    const provider = templateProvider(jira, { allowLoopback: true });
    expect(provider.id).toBe(CUSTOM_PROVIDER_ID);
    expect(provider.parseWebhook).toBe(customProvider.parseWebhook);
    expect(provider.dispatch).toBe(customProvider.dispatch);
    expect(provider.publication).toBe(customProvider.publication);
    expect(provider.installationKind).toBe('template');
    expect(provider.tools.map((t) => t.name)).toEqual(jira.tools.map((t) => t.name));
    expect(customProvider.tools).toEqual([]);
    await expect(customProvider.executeTool('get_issue')).rejects.toBeInstanceOf(TemplateToolError);
  });

  it('names custom as the provider of template installations only', () => {
    expect(providerIdOf({ kind: 'template', source: 'jira-cloud' })).toBe('custom');
    expect(providerIdOf({ kind: 'provider', source: 'github' })).toBe('github');
  });
});
