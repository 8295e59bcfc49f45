import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApiToken, createMcpSession, upsertMember } from '@gatehouse/integrations-adapters-cf';
import { purgeSessions } from '../src/sessions/purge-sessions.js';
import { db, initialize, post, seedTenant } from './helpers.js';

const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
const call = (name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name, arguments: args },
});

async function inSession(token: string, sessionId: string, message: unknown, headers: Record<string, string> = {}) {
  return post(token, message, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', ...headers });
}

describe('MCP sessions', () => {
  it('issues a session at initialize and requires it afterwards (400 without, 404 unknown)', async () => {
    const { token } = await seedTenant('sess-basic');
    const { sessionId } = await initialize(token);
    expect((await inSession(token, sessionId, list)).status).toBe(200);
    const without = await post(token, list);
    expect(without.status).toBe(400);
    expect(await without.text()).toMatch(/Mcp-Session-Id/);
    const unknown = await inSession(token, 'A'.repeat(43), list);
    expect(unknown.status).toBe(404);
  });

  it('starts no session when initialize fails (a JSON-RPC error, not a result)', async () => {
    const { token } = await seedTenant('sess-bad-init');
    const res = await post(token, { jsonrpc: '2.0', id: 1, method: 'initialize' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { error?: unknown }).error).toBeDefined();
    expect(res.headers.get('mcp-session-id')).toBeNull();
  });

  it('binds a session to its user: another user’s valid token on it gets 404', async () => {
    const a = await seedTenant('sess-user');
    const { sessionId } = await initialize(a.token);
    const other = await upsertMember(
      db,
      { organizationId: a.org.id },
      { email: 'other@sess-user.test', role: 'ADMIN' },
    );
    const { token: otherToken } = await createApiToken(db, a.tenant, {
      userId: other.id,
      role: 'ADMIN',
      name: 'other',
    });
    expect((await inSession(otherToken, sessionId, list)).status).toBe(404);
    const stranger = await seedTenant('sess-stranger');
    expect((await inSession(stranger.token, sessionId, list)).status).toBe(404);
    // A session never authenticates: without a token the request is refused before the session is looked at.
    expect((await post(null, list, { 'mcp-session-id': sessionId })).status).toBe(401);
  });

  it('DELETE ends the session; afterwards it is 404 and cannot be ended twice', async () => {
    const { token } = await seedTenant('sess-delete');
    const { sessionId } = await initialize(token);
    const del = await SELF.fetch('https://gatehouse.test/mcp', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId },
    });
    expect(del.status).toBe(204);
    expect((await inSession(token, sessionId, list)).status).toBe(404);
    const again = await SELF.fetch('https://gatehouse.test/mcp', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId },
    });
    expect(again.status).toBe(404);
  });

  it('expires idle sessions (404) and the scheduled purge reclaims them in bounded batches', async () => {
    const { token, tenant, user } = await seedTenant('sess-expire');
    const past = Date.now() - 2 * 60 * 60 * 1000;
    const stale = await createMcpSession(
      db,
      tenant,
      { userId: user.id, protocolVersion: '2025-11-25', clientName: 'old' },
      past,
    );
    expect((await inSession(token, stale.id, list)).status).toBe(404);
    for (let i = 0; i < 4; i++)
      await createMcpSession(
        db,
        tenant,
        { userId: user.id, protocolVersion: '2025-11-25', clientName: `old-${i}` },
        past,
      );
    const live = await initialize(token);
    const count = async () =>
      (await env.AUTH_DB.prepare('select count(*) as n from mcp_sessions where organization_id = ?')
        .bind(tenant.organizationId)
        .first<{ n: number }>())!.n;
    expect(await count()).toBe(6);
    const { purgeExpiredMcpSessions } = await import('@gatehouse/integrations-adapters-cf');
    expect(await purgeExpiredMcpSessions(db, 2)).toBe(2);
    expect(await purgeSessions(env)).toBeGreaterThanOrEqual(3);
    expect(await count()).toBe(1);
    expect((await inSession(token, live.sessionId, list)).status).toBe(200);
  });

  it('adds the profile and workspace info to the first tool call of each session only', async () => {
    const { token } = await seedTenant('sess-context');
    const first = await initialize(token);
    const texts = async (sessionId: string) =>
      (
        (await (await inSession(token, sessionId, call('list_integration_catalog'))).json()) as {
          result: { content: { text: string }[] };
        }
      ).result.content.map((c) => c.text);
    const one = await texts(first.sessionId);
    expect(one).toHaveLength(2);
    const context = JSON.parse(one[1]!);
    expect(context.get_my_profile.organization.slug).toBe('sess-context');
    expect(context.get_workspace_info.workspace).toMatchObject({ name: 'Main', vision: 'Ship it', okrs: ['O1'] });
    expect(await texts(first.sessionId)).toHaveLength(1);
    const second = await initialize(token);
    expect(await texts(second.sessionId)).toHaveLength(2);
  });
});

describe('server instructions', () => {
  it('returns the workspace’s instructions at initialize; only ADMIN and up may change them', async () => {
    const admin = await seedTenant('instr');
    const memberUser = await upsertMember(
      db,
      { organizationId: admin.org.id },
      { email: 'm@instr.test', role: 'MEMBER' },
    );
    const { token: member } = await createApiToken(db, admin.tenant, {
      userId: memberUser.id,
      role: 'MEMBER',
      name: 'm',
    });
    expect((await initialize(admin.token)).result.instructions).toMatch(/Gatehouse connects you/);

    const s = await initialize(admin.token);
    const updated = await inSession(
      admin.token,
      s.sessionId,
      call('update_mcp_settings', { instructions: 'Always answer in French.' }),
    );
    expect(((await updated.json()) as { result: { isError?: boolean } }).result.isError).toBeFalsy();
    expect((await initialize(admin.token)).result.instructions).toBe('Always answer in French.');
    expect((await initialize(member)).result.instructions).toBe('Always answer in French.');

    const m = await initialize(member);
    const names = (
      (await (await inSession(member, m.sessionId, list)).json()) as { result: { tools: { name: string }[] } }
    ).result.tools.map((t) => t.name);
    expect(names).toContain('get_mcp_settings');
    expect(names).not.toContain('update_mcp_settings');
    const refused = (await (
      await inSession(member, m.sessionId, call('update_mcp_settings', { instructions: 'x' }))
    ).json()) as {
      result: { isError: boolean; content: { text: string }[] };
    };
    expect(refused.result.isError).toBe(true);
    expect(refused.result.content[0]!.text).toMatch(/requires the ADMIN role/);
    expect((await initialize(admin.token)).result.instructions).toBe('Always answer in French.');
  });
});

describe('transport refusals', () => {
  it('refuses a foreign Origin with 403 and allows a configured one', async () => {
    const { token } = await seedTenant('origin');
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    };
    expect((await post(token, init, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(token, init, { origin: 'null' })).status).toBe(403);
    expect((await post(token, init, { origin: 'http://localhost:6274' })).status).toBe(200);
    // Same origin as an allowed host (ALLOWED_HOSTS = gatehouse.test in the test config).
    expect((await post(token, init, { origin: 'https://gatehouse.test' })).status).toBe(200);
    expect((await post(token, init, { origin: 'https://gatehouse.test.evil.example' })).status).toBe(403);
  });

  it('refuses a Host that is not allowed with 403 (DNS rebinding)', async () => {
    const { token } = await seedTenant('host');
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    };
    const res = await SELF.fetch('http://evil.example.com/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(init),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/ALLOWED_HOSTS/);
  });

  it('refuses an unsupported MCP-Protocol-Version with 400', async () => {
    const { token } = await seedTenant('version');
    const { sessionId } = await initialize(token);
    const res = await inSession(token, sessionId, list, { 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/unsupported MCP-Protocol-Version/);
  });

  it('refuses a body over the limit with 413 before parsing', async () => {
    const { token } = await seedTenant('size');
    const { sessionId } = await initialize(token);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(1_100_000) } });
    const res = await SELF.fetch('https://gatehouse.test/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      body: big,
    });
    expect(res.status).toBe(413);
  });

  it.each([
    ['not JSON', '{"jsonrpc": "2.0", ', 400, -32700],
    // JSON-RPC 2.0 §5.1: "The JSON sent is not a valid Request object" is -32600 (SDK v1 answered -32700).
    ['JSON that is not JSON-RPC', '{"hello": "world"}', 400, -32600],
  ])('answers %s with a JSON-RPC error, never a 500', async (_label, body, status, code) => {
    const { token } = await seedTenant(`malformed-${code}-${body.length}`);
    const { sessionId } = await initialize(token);
    const res = await SELF.fetch('https://gatehouse.test/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      body,
    });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(code);
  });
});

describe('GET stream', () => {
  it('delivers notifications/tools/list_changed when an installation changes the tools', async () => {
    const { token } = await seedTenant('stream');
    const { sessionId } = await initialize(token);
    const res = await SELF.fetch('https://gatehouse.test/mcp', {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = (await reader.read()).value ?? '';
    expect(seen).toMatch(/stream open/);

    const other = await initialize(token);
    await inSession(
      token,
      other.sessionId,
      call('install_integration', {
        template: 'zendesk',
        credentials: { email: 'a@b.c', api_token: 't' },
        settings: { instance_url: 'https://acme.zendesk.com' },
      }),
    );
    while (!seen.includes('notifications/tools/list_changed')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    expect(seen).toMatch(
      /event: message\nid: [^\n]+\ndata: \{"jsonrpc":"2.0","method":"notifications\/tools\/list_changed"\}/,
    );
    await reader.cancel();
  });

  it('replays notifications missed while disconnected when the client resumes with Last-Event-ID', async () => {
    const { token } = await seedTenant('stream-resume');
    const { sessionId } = await initialize(token);
    const open = (lastEventId?: string) =>
      SELF.fetch('https://gatehouse.test/mcp', {
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'text/event-stream',
          'mcp-session-id': sessionId,
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
      });
    const readUntil = async (reader: ReadableStreamDefaultReader<string>, pattern: RegExp) => {
      let seen = '';
      while (!pattern.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      return seen;
    };
    const install = async (title: string) => {
      const other = await initialize(token);
      await inSession(
        token,
        other.sessionId,
        call('install_integration', {
          template: 'zendesk',
          title,
          credentials: { email: 'a@b.c', api_token: 't' },
          settings: { instance_url: 'https://acme.zendesk.com' },
        }),
      );
    };

    const first = (await open()).body!.pipeThrough(new TextDecoderStream()).getReader();
    await readUntil(first, /stream open/);
    await install('Zendesk One');
    const seen = await readUntil(first, /list_changed/);
    const lastId = /id: ([^\n]+)\n/.exec(seen)![1]!;
    await first.cancel();

    await install('Zendesk Two'); // notified while no stream is open
    const resumed = (await open(lastId)).body!.pipeThrough(new TextDecoderStream()).getReader();
    const replay = await readUntil(resumed, /list_changed/);
    const replayedId = /id: ([^\n]+)\n/.exec(replay)![1]!;
    expect(replayedId).not.toBe(lastId);
    expect(Number(replayedId.split(':')[1])).toBe(Number(lastId.split(':')[1]) + 1);
    await resumed.cancel();
  });

  it('requires Accept: text/event-stream and a live session', async () => {
    const { token } = await seedTenant('stream-refusals');
    const { sessionId } = await initialize(token);
    const noAccept = await SELF.fetch('https://gatehouse.test/mcp', {
      headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId },
    });
    expect(noAccept.status).toBe(406);
    const noSession = await SELF.fetch('https://gatehouse.test/mcp', {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    expect(noSession.status).toBe(400);
  });
});
