import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { callTool, initialize, listToolNames, post, rpc, seedTenant } from './helpers.js';

const jiraCredentials = { email: 'me@acme.test', api_token: 'jira-secret-token' };

describe('/mcp authentication', () => {
  it('answers 401 with a WWW-Authenticate challenge naming the resource metadata and scope', async () => {
    const { res } = await rpc(null, 'tools/list');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="OAuth", resource_metadata="https://gatehouse.test/.well-known/oauth-protected-resource/mcp", scope="mcp:read"',
    );
  });

  it.each([
    ['an unknown API token', `gth_${'A'.repeat(43)}`],
    ['a malformed token', 'not-a-token'],
  ])('answers 401 invalid_token for %s', async (_label, token) => {
    const res = await post(token, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(res.headers.get('www-authenticate')).toMatch(
      /resource_metadata="https:\/\/gatehouse\.test\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
  });

  it('refuses a token in the query string', async () => {
    const { token } = await seedTenant('query-token');
    const res = await SELF.fetch(`https://gatehouse.test/mcp?access_token=${token}`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
  });

  it('answers other methods with 405', async () => {
    const { token } = await seedTenant('methods');
    const res = await SELF.fetch('https://gatehouse.test/mcp', {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST, DELETE');
  });
});

describe('MCP protocol', () => {
  it.each(['2025-06-18', '2025-11-25'])('negotiates protocol version %s', async (version) => {
    const { token } = await seedTenant(`init-${version}`);
    const { res, result } = await initialize(token, version);
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.protocolVersion).toBe(version);
    expect(result.serverInfo.name).toBe('gatehouse');
    expect((result as unknown as { capabilities: { tools: unknown } }).capabilities.tools).toEqual({
      listChanged: true,
    });
  });

  it('lists the core tools with JSON Schemas', async () => {
    const { token } = await seedTenant('core-list');
    const { body } = await rpc(token, 'tools/list');
    const tools = body!.result.tools as { name: string; inputSchema: { type: string } }[];
    expect(tools.map((t) => t.name)).toEqual([
      'list_integration_catalog',
      'get_integration',
      'list_installed_integrations',
      'install_integration',
      'uninstall_integration',
      'create_integration',
      'update_integration',
      'list_integration_versions',
      'rollback_integration',
      'approve_integration_update',
      'delete_integration',
      'search_integrations',
      'get_my_profile',
      'get_workspace_info',
      'list_sessions',
      'get_session',
      'search_run_history',
      'get_run_history_item',
      'grant_publication',
      'get_mcp_settings',
      'update_mcp_settings',
      'search_knowledge',
      'get_knowledge_document',
      'list_knowledge_documents',
      'add_knowledge_document',
      'delete_knowledge_document',
      'list_agents',
      'get_agent',
      'create_agent',
      'update_agent',
      'delete_agent',
      'invoke_agent',
      'get_agent_run',
      'set_integration_rate_limit',
      'update_integration_credentials',
    ]);
    for (const t of tools) expect(t.inputSchema.type).toBe('object');
  });

  it('answers an unknown tool with JSON-RPC invalid params', async () => {
    const { token } = await seedTenant('unknown-tool');
    const { body } = await rpc(token, 'tools/call', { name: 'no_such_tool', arguments: {} });
    expect(body?.error?.code).toBe(-32602);
  });
});

describe('core tools', () => {
  it('get_my_profile and get_workspace_info describe the token’s identity and workspace', async () => {
    const { token, org, ws } = await seedTenant('profile', 'MEMBER');
    const profile = await callTool(token, 'get_my_profile', {});
    expect(profile.json).toMatchObject({ role: 'MEMBER', organization: { id: org.id }, workspace: { id: ws.id } });
    const info = await callTool(token, 'get_workspace_info', {});
    expect(info.json).toMatchObject({
      workspace: { name: 'Main', vision: 'Ship it', okrs: ['O1'] },
      active_integrations: [],
    });
  });

  it('get_integration shows credential fields and tools but never a secret', async () => {
    const { token } = await seedTenant('get-integration');
    const out = await callTool(token, 'get_integration', { template: 'jira-cloud' });
    expect(out.json.credentials.map((c: { name: string }) => c.name)).toEqual(['email', 'api_token']);
    expect(out.json.tools.map((t: { name: string }) => t.name)).toContain('create_issue');
    const invalid = await callTool(token, 'get_integration', { template: 42 });
    expect(invalid).toMatchObject({
      isError: true,
      text: expect.stringMatching(/Invalid arguments for get_integration: template/),
    });
    const missing = await callTool(token, 'get_integration', { template: 'nope' });
    expect(missing).toMatchObject({ isError: true, text: expect.stringMatching(/list_integration_catalog/) });
  });

  it('install_integration refuses missing or unknown fields, naming them, and installs nothing', async () => {
    const { token } = await seedTenant('install-bad');
    const out = await callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: { email: 'x@y.z', password: 'p' },
      settings: { site_url: 'ftp:/nope' },
    });
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/unknown credential "password"/);
    expect(out.text).toMatch(/missing credential "api_token"/);
    expect(out.text).toMatch(/setting "site_url" must match/);
    expect(out.text).not.toContain('"p"');
    expect((await callTool(token, 'list_installed_integrations', {})).json.installations).toEqual([]);
  });

  it('stores credentials encrypted and never returns them', async () => {
    const { token, org } = await seedTenant('install-secret');
    const out = await callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: jiraCredentials,
      settings: { site_url: 'https://acme.atlassian.net' },
      title: 'Jira Backend',
    });
    expect(out.json.installed).toMatchObject({ handle: 'jira-backend', scope: 'Local' });
    const row = await env.AUTH_DB.prepare('select * from installations where organization_id = ?')
      .bind(org.id)
      .first<{ credentials: string }>();
    expect(JSON.stringify(row)).not.toContain('jira-secret-token');
    expect(row!.credentials!.split('.')).toHaveLength(5);
    const listed = await callTool(token, 'list_installed_integrations', {});
    expect(JSON.stringify(listed.json)).not.toContain('jira-secret-token');
  });
});

describe('integration tools and disambiguation', () => {
  async function installJira(token: string, title: string, scope: 'Local' | 'Global' = 'Local') {
    return callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: jiraCredentials,
      settings: { site_url: 'https://acme.atlassian.net', project_key: 'PROJ' },
      title,
      scope,
    });
  }

  it('lists a template’s generic tools as soon as it is installed', async () => {
    const { token } = await seedTenant('one-install');
    expect(await listToolNames(token)).not.toContain('create_issue');
    await installJira(token, 'Jira Backend');
    const names = await listToolNames(token);
    expect(names).toEqual(expect.arrayContaining(['create_issue', 'get_issue', 'search_issues', 'add_comment']));
    const { body } = await rpc(token, 'tools/list');
    const tool = body!.result.tools.find((t: { name: string }) => t.name === 'create_issue');
    expect(tool.inputSchema.properties._integration).toBeUndefined();
  });

  it('adds an _integration enum when two installations provide one name, and a call without it lists the options', async () => {
    const { token } = await seedTenant('two-installs');
    await installJira(token, 'Jira Backend');
    await installJira(token, 'Jira Frontend', 'Global');
    const { body } = await rpc(token, 'tools/list');
    const tools = body!.result.tools as {
      name: string;
      inputSchema: { properties: Record<string, { enum?: string[] }>; required?: string[] };
    }[];
    expect(tools.filter((t) => t.name === 'create_issue')).toHaveLength(1);
    const createIssue = tools.find((t) => t.name === 'create_issue')!;
    expect(createIssue.inputSchema.properties._integration!.enum).toEqual(['jira-backend', 'jira-frontend']);
    expect(createIssue.inputSchema.required).toEqual(['summary']);

    const missing = await callTool(token, 'create_issue', { summary: 'x' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/_integration/);
    expect(missing.text).toMatch(/jira-backend: Jira Backend/);
    expect(missing.text).toMatch(/jira-frontend: Jira Frontend/);
    const wrong = await callTool(token, 'create_issue', { summary: 'x', _integration: 'jira-nope' });
    expect(wrong).toMatchObject({ isError: true, text: expect.stringMatching(/does not provide create_issue/) });
  });

  it('refuses loopback upstreams without the development setting: at install and at call time', async () => {
    const { token } = await seedTenant('loopback');
    const install = await callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: jiraCredentials,
      settings: { site_url: 'http://127.0.0.1:9' },
    });
    expect(install).toMatchObject({
      isError: true,
      text: expect.stringMatching(/loopback upstream 127\.0\.0\.1 is not allowed/),
    });
    expect(install.text).not.toContain('jira-secret-token');

    // A template without a credentials check installs; its calls are refused before any request.
    await callTool(token, 'create_integration', {
      template: {
        slug: 'local-api',
        name: 'Local API',
        description: 'A service on a loopback address',
        docsUrl: 'https://docs.example.com/',
        baseUrl: '{+settings.base_url}',
        auth: { type: 'none' },
        credentials: [],
        settings: [{ name: 'base_url', description: 'origin' }],
        tools: [
          {
            name: 'ping_service',
            title: 'Ping',
            description: 'Ping',
            docsUrl: 'https://docs.example.com/ping',
            method: 'GET',
            path: '/ping',
            inputSchema: { type: 'object', properties: {} },
          },
        ],
      },
    });
    expect(
      (
        await callTool(token, 'install_integration', {
          template: 'local-api',
          credentials: {},
          settings: { base_url: 'http://127.0.0.1:9' },
        })
      ).isError,
    ).toBe(false);
    const out = await callTool(token, 'ping_service', {});
    expect(out).toMatchObject({
      isError: true,
      text: expect.stringMatching(/loopback upstream 127\.0\.0\.1 is not allowed/),
    });
  });

  it.each([
    ['decimal', 'http://2130706433'],
    ['hex', 'http://0x7f000001'],
    ['octal', 'http://0177.0.0.1'],
    ['short', 'http://127.1'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]'],
    ['IPv6 loopback', 'http://[::1]'],
    ['cloud metadata', 'https://169.254.169.254'],
    ['private', 'https://10.0.0.8'],
    ['credentials in the URL', 'https://user:pass@api.example.com'],
    ['plain http', 'http://api.example.com'],
    ['a non-http scheme', 'file:///etc/passwd'],
  ])('refuses an upstream written as %s, in the worker, before any request', async (label, url) => {
    const { token } = await seedTenant(`ssrf-${label.replace(/\W+/g, '-')}`);
    await callTool(token, 'create_integration', {
      template: {
        slug: 'probe',
        name: 'Probe',
        description: 'SSRF probe',
        docsUrl: 'https://docs.example.com/',
        baseUrl: '{+settings.base_url}',
        auth: { type: 'none' },
        credentials: [],
        settings: [{ name: 'base_url', description: 'origin' }],
        tools: [
          {
            name: 'fetch_latest',
            title: 'Probe',
            description: 'Probe',
            docsUrl: 'https://docs.example.com/probe',
            method: 'GET',
            path: '/latest',
            inputSchema: { type: 'object', properties: {} },
          },
        ],
      },
    });
    await callTool(token, 'install_integration', { template: 'probe', credentials: {}, settings: { base_url: url } });
    const out = await callTool(token, 'fetch_latest', {});
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/not allowed|private|not a valid|only https|credentials in the upstream URL|scheme/);
  });

  it('checks credentials against the service at install and refuses bad ones without echoing them', async () => {
    const { token } = await seedTenant('bad-credentials');
    const out = await callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: { email: 'me@acme.test', api_token: 'wrong-secret-value' },
      settings: { site_url: 'https://acme.atlassian.net' },
    });
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/Jira Cloud refused the credentials check: .*answered 401/);
    expect(out.text).not.toContain('wrong-secret-value');
    expect(out.text).not.toContain('echo of the token');
    expect((await callTool(token, 'list_installed_integrations', {})).json.installations).toEqual([]);
    const good = await callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: { email: 'me@acme.test', api_token: 'good-token' },
      settings: { site_url: 'https://acme.atlassian.net' },
    });
    expect(good.json.credentials_checked).toBe(true);
  });

  it('never shows one organization’s installations to another', async () => {
    const a = await seedTenant('tenant-a');
    const b = await seedTenant('tenant-b');
    await installJira(a.token, 'Jira Backend', 'Global');
    expect(await listToolNames(b.token)).not.toContain('create_issue');
    const { body } = await rpc(b.token, 'tools/call', {
      name: 'create_issue',
      arguments: { summary: 'x', _integration: 'jira-backend' },
    });
    expect(body?.error?.code).toBe(-32602);
    expect((await callTool(b.token, 'list_installed_integrations', {})).json.installations).toEqual([]);
  });

  it('hides another workspace’s Local installation', async () => {
    const a = await seedTenant('ws-scope');
    await installJira(a.token, 'Jira Backend', 'Local');
    const { createWorkspace, createApiToken } = await import('@gatehouse/integrations-adapters-cf');
    const { db } = await import('./helpers.js');
    const other = await createWorkspace(db, { organizationId: a.org.id }, { slug: 'other', name: 'Other' });
    const { token } = await createApiToken(
      db,
      { organizationId: a.org.id, workspaceId: other.id },
      { userId: a.user.id, role: 'ADMIN', name: 'other' },
    );
    expect(await listToolNames(token)).not.toContain('create_issue');
    expect(await listToolNames(a.token)).toContain('create_issue');
  });
});
