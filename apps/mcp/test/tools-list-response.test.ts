import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { callTool, initialize, seedTenant } from './helpers.js';

async function toolsList(
  token: string,
  sessionId: string,
  params: Record<string, unknown> | undefined,
  encoding: string,
) {
  const res = await SELF.fetch('https://gatehouse.test/mcp', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'accept-encoding': encoding,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 'list-1', method: 'tools/list', ...(params ? { params } : {}) }),
  });
  return { res, text: await res.text() };
}

describe('tools/list from cached bytes', () => {
  it('answers exactly what the SDK path answers, gzip-encoded or not', async () => {
    const { token } = await seedTenant('fast-list');
    await callTool(token, 'install_integration', {
      template: 'zendesk',
      credentials: { email: 'a@b.c', api_token: 't' },
      settings: { instance_url: 'https://acme.zendesk.com' },
    });
    const { sessionId } = await initialize(token);
    // A cursor is not handled by the cached path: the SDK's ListTools handler answers it (full list, no nextCursor).
    const viaSdk = await toolsList(token, sessionId, { cursor: 'x' }, 'identity');
    expect(viaSdk.res.headers.get('content-encoding')).toBeNull();
    const plain = await toolsList(token, sessionId, undefined, 'identity');
    expect(plain.res.headers.get('content-encoding')).toBeNull();
    expect(JSON.parse(plain.text)).toEqual(JSON.parse(viaSdk.text));
    expect(plain.text).toBe(viaSdk.text);

    const zipped = await toolsList(token, sessionId, undefined, 'gzip, deflate');
    expect(zipped.res.status).toBe(200);
    expect(JSON.parse(zipped.text)).toEqual(JSON.parse(viaSdk.text));
    expect(JSON.parse(zipped.text).result.tools.map((t: { name: string }) => t.name)).toContain('list_tickets');
  });

  it('keeps the role filter: a MEMBER’s cached list has no ADMIN tools', async () => {
    const admin = await seedTenant('fast-list-roles', 'ADMIN');
    const member = await seedTenant('fast-list-roles-m', 'MEMBER');
    const names = async (t: string) => {
      const { sessionId } = await initialize(t);
      return (
        JSON.parse((await toolsList(t, sessionId, undefined, 'gzip')).text).result.tools as { name: string }[]
      ).map((x) => x.name);
    };
    expect(await names(admin.token)).toContain('create_integration');
    expect(await names(member.token)).not.toContain('create_integration');
  });
});
