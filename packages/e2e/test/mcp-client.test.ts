/**
 * End to end with the MCP SDK's Client over Streamable HTTP against the running main worker: list tools, install a
 * catalog template whose base URL points at a local Jira fake, call its tool, and see `_integration` appear with a
 * second instance.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startJiraFake, type JiraFake } from '../src/jira-fake.js';

const mcpUrl = inject('mcpUrl');

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text: string }[])[0]!.text;
}

describe('MCP SDK client with an API token', () => {
  let client: Client;
  let backend: JiraFake;
  let frontend: JiraFake;
  const backendCreds = { email: 'dev@acme.test', api_token: 'backend-jira-token' };
  const frontendCreds = { email: 'fe@acme.test', api_token: 'frontend-jira-token' };

  beforeAll(async () => {
    backend = await startJiraFake({
      ...{ email: backendCreds.email, apiToken: backendCreds.api_token },
      site: 'https://backend.atlassian.net',
    });
    frontend = await startJiraFake({
      email: frontendCreds.email,
      apiToken: frontendCreds.api_token,
      site: 'https://frontend.atlassian.net',
    });
    client = await connect(inject('adminToken'));
  });

  afterAll(async () => {
    await client?.close();
    await backend?.close();
    await frontend?.close();
  });

  it('negotiates a supported protocol version and lists the core tools', async () => {
    for (const version of ['2025-06-18', '2025-11-25']) {
      const res = await fetch(mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${inject('adminToken')}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
        }),
      });
      expect(((await res.json()) as { result: { protocolVersion: string } }).result.protocolVersion).toBe(version);
    }
    expect(client.getServerVersion()).toMatchObject({ name: 'gatehouse' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'list_integration_catalog',
        'get_integration',
        'list_installed_integrations',
        'install_integration',
        'get_my_profile',
        'get_workspace_info',
      ]),
    );
    const profile = JSON.parse(text(await client.callTool({ name: 'get_my_profile', arguments: {} })));
    expect(profile).toMatchObject({ role: 'ADMIN', organization: { slug: 'demo' } });
  });

  it('installs Jira against the local fake and calls create_issue: method, path, auth and body reach the fake', async () => {
    const installed = await client.callTool({
      name: 'install_integration',
      arguments: {
        template: 'jira-cloud',
        title: 'Jira Backend',
        scope: 'Global',
        credentials: backendCreds,
        settings: { site_url: backend.url, project_key: 'BE' },
      },
    });
    expect(installed.isError).toBeFalsy();
    expect(text(installed)).not.toContain(backendCreds.api_token);

    const { tools } = await client.listTools();
    const createIssue = tools.find((t) => t.name === 'create_issue');
    expect(createIssue).toBeDefined();
    expect(createIssue!.inputSchema.properties).not.toHaveProperty('_integration');

    const result = await client.callTool({
      name: 'create_issue',
      arguments: { summary: 'Login fails on Safari', description: 'Steps to reproduce', issue_type: 'Bug' },
    });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(text(result))).toMatchObject({ key: 'BE-10000', id: '10000' });
    // The install checked the credentials (GET /rest/api/3/myself), then the call created the issue.
    expect(backend.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /rest/api/3/myself',
      'POST /rest/api/3/issue',
    ]);
    expect(backend.requests[1]).toEqual({
      method: 'POST',
      path: '/rest/api/3/issue',
      authorization: `Basic ${Buffer.from(`${backendCreds.email}:${backendCreds.api_token}`).toString('base64')}`,
      contentType: 'application/json',
      body: {
        fields: {
          project: { key: 'BE' },
          summary: 'Login fails on Safari',
          issuetype: { name: 'Bug' },
          description: {
            type: 'doc',
            version: 1,
            content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Steps to reproduce' }] }],
          },
        },
      },
    });
  });

  it('a second instance of the template makes _integration appear and routes to the chosen installation', async () => {
    await client.callTool({
      name: 'install_integration',
      arguments: {
        template: 'jira-cloud',
        title: 'Jira Frontend',
        scope: 'Local',
        credentials: frontendCreds,
        settings: { site_url: frontend.url, project_key: 'FE' },
      },
    });
    const { tools } = await client.listTools();
    const getIssue = tools.find((t) => t.name === 'get_issue')!;
    // The workspace's Local installation is listed before the organization's Global one.
    expect((getIssue.inputSchema.properties as Record<string, { enum?: string[] }>)._integration!.enum).toEqual([
      'jira-frontend',
      'jira-backend',
    ]);

    const ambiguous = await client.callTool({ name: 'get_issue', arguments: { issue_key: 'FE-1' } });
    expect(ambiguous.isError).toBe(true);
    expect(text(ambiguous)).toMatch(/jira-backend: Jira Backend/);
    expect(text(ambiguous)).toMatch(/jira-frontend: Jira Frontend/);

    const before = backend.requests.length;
    const chosen = await client.callTool({
      name: 'get_issue',
      arguments: { issue_key: 'FE-1', _integration: 'jira-frontend' },
    });
    expect(chosen.isError).toBeFalsy();
    expect(JSON.parse(text(chosen))).toMatchObject({ key: 'FE-1', status: 'In Progress' });
    expect(frontend.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/rest/api/3/issue/FE-1?fields=summary%2Cstatus%2Cissuetype%2Cpriority%2Cassignee',
      authorization: `Basic ${Buffer.from(`${frontendCreds.email}:${frontendCreds.api_token}`).toString('base64')}`,
    });
    expect(backend.requests.length).toBe(before);
  });

  it('refuses to install with credentials the service rejects', async () => {
    const result = await client.callTool({
      name: 'install_integration',
      arguments: {
        template: 'jira-cloud',
        title: 'Jira Wrong',
        credentials: { ...backendCreds, api_token: 'wrong-token-value' },
        settings: { site_url: backend.url },
      },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/refused the credentials check: .*answered 401/);
    expect(text(result)).not.toContain('wrong-token-value');
    const listed = JSON.parse(text(await client.callTool({ name: 'list_installed_integrations', arguments: {} })));
    expect(listed.installations.map((i: { title: string }) => i.title)).not.toContain('Jira Wrong');
  });

  it('turns an upstream refusal into a tool error without echoing the upstream body or the secret', async () => {
    const result = await client.callTool({
      name: 'get_issue',
      arguments: { issue_key: 'not-a-key', _integration: 'jira-backend' },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/answered 404/);
    expect(text(result)).not.toContain('Not found');
    expect(text(result)).not.toContain(backendCreds.api_token);
  });

  it('refuses a connection without a valid token', async () => {
    const error = await connect(`gth_${'x'.repeat(43)}`).then(
      () => null,
      (e: unknown) => e as { code?: number },
    );
    expect(error?.code).toBe(401);
  });

  it('shows installations to a MEMBER of the same workspace without credentials', async () => {
    const member = await connect(inject('memberToken'));
    try {
      const listed = text(await member.callTool({ name: 'list_installed_integrations', arguments: {} }));
      expect(JSON.parse(listed).installations.map((i: { handle: string }) => i.handle)).toEqual(
        expect.arrayContaining(['jira-backend']),
      );
      expect(listed).not.toContain(backendCreds.api_token);
      expect(listed).not.toContain(frontendCreds.api_token);
    } finally {
      await member.close();
    }
  });
});
