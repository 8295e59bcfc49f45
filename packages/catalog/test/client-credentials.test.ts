import { describe, expect, it } from 'vitest';
import { executeTemplateTool, validateCredentials, validateTemplate, type IntegrationTemplate } from '../src/index.js';

const template = (
  validateTemplate(
    {
      slug: 'acme-billing',
      name: 'Acme Billing',
      description: 'Invoices',
      docsUrl: 'https://docs.acme.test/billing',
      baseUrl: '{+settings.api_url}',
      auth: {
        type: 'oauth2_client_credentials',
        tokenUrl: '{+settings.api_url}/oauth/token',
        clientId: 'client_id',
        clientSecret: 'client_secret',
        scopes: ['invoices:read'],
      },
      credentials: [
        { name: 'client_id', description: 'Client id', secret: false },
        { name: 'client_secret', description: 'Client secret' },
      ],
      settings: [{ name: 'api_url', description: 'API origin' }],
      tools: [
        {
          name: 'get_invoice',
          title: 'Get invoice',
          description: 'Get an invoice',
          docsUrl: 'https://docs.acme.test/billing/invoices',
          method: 'GET',
          path: '/v1/invoices/{args.id}',
          inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        },
      ],
    },
    new Set(),
  ) as { ok: true; template: IntegrationTemplate }
).template;

const tool = template.tools[0]!;
const input = {
  args: { id: 'inv_1' },
  settings: { api_url: 'http://127.0.0.1:9' },
  credentials: { client_id: 'id with space', client_secret: 's3cr&t' },
};

/** A token endpoint and API that answer as an RFC 6749 authorization server and resource server would. */
function fakeService(opts: { tokenType?: string } = {}) {
  const log: { path: string; auth: string | null; body: string }[] = [];
  const fetch: typeof globalThis.fetch = async (url, init) => {
    const req = new Request(url, init);
    const path = new URL(req.url).pathname;
    const body = await req.text();
    log.push({ path, auth: req.headers.get('authorization'), body });
    if (path === '/oauth/token') {
      const expected = `Basic ${btoa(`${encodeURIComponent('id with space')}:${encodeURIComponent('s3cr&t')}`)}`;
      if (req.headers.get('authorization') !== expected)
        return Response.json({ error: 'invalid_client' }, { status: 401 });
      return Response.json({ access_token: 'at-123', token_type: opts.tokenType ?? 'Bearer', expires_in: 3600 });
    }
    if (req.headers.get('authorization') !== 'Bearer at-123')
      return Response.json({ error: 'invalid_token' }, { status: 401 });
    return Response.json({ id: 'inv_1', total: 42 });
  };
  return { log, fetch };
}

describe('OAuth 2.0 client credentials templates', () => {
  it('obtains a token with client_secret_basic, calls the API with it, and reuses it per installation', async () => {
    const svc = fakeService();
    const opts = { fetch: svc.fetch, allowLoopback: true, tokenCacheKey: 'installation-1' };
    expect(await executeTemplateTool(template, tool, input, opts)).toMatchObject({
      ok: true,
      result: { id: 'inv_1', total: 42 },
    });
    expect(await executeTemplateTool(template, tool, input, opts)).toMatchObject({ ok: true });
    expect(svc.log.map((l) => l.path)).toEqual(['/oauth/token', '/v1/invoices/inv_1', '/v1/invoices/inv_1']);
    expect(new URLSearchParams(svc.log[0]!.body)).toEqual(
      new URLSearchParams({ grant_type: 'client_credentials', scope: 'invoices:read' }),
    );
  });

  it('refuses a token endpoint that rejects the client or returns a non-Bearer token, without echoing secrets', async () => {
    const wrong = await executeTemplateTool(
      template,
      tool,
      { ...input, credentials: { client_id: 'x', client_secret: 'nope-secret' } },
      { fetch: fakeService().fetch, allowLoopback: true },
    );
    expect(wrong).toMatchObject({
      ok: false,
      message: expect.stringMatching(/could not obtain an access token: Acme Billing token endpoint answered 401/),
    });
    expect(JSON.stringify(wrong)).not.toContain('nope-secret');
    const mac = await executeTemplateTool(template, tool, input, {
      fetch: fakeService({ tokenType: 'mac' }).fetch,
      allowLoopback: true,
    });
    expect(mac).toMatchObject({ ok: false, message: expect.stringMatching(/did not return a Bearer access_token/) });
  });

  it('checks the credentials at install by obtaining a token', async () => {
    expect(await validateCredentials(template, input, { fetch: fakeService().fetch, allowLoopback: true })).toEqual({
      ok: true,
      checked: true,
    });
    const bad = await validateCredentials(
      template,
      { ...input, credentials: { client_id: 'x', client_secret: 'y' } },
      { fetch: fakeService().fetch, allowLoopback: true },
    );
    expect(bad).toMatchObject({ ok: false, message: expect.stringMatching(/refused the credentials check/) });
  });
});
