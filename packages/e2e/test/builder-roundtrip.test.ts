/**
 * The integration builder end to end through the MCP SDK client: create a template whose API is a local fake,
 * install it (credentials checked against the fake), call its tool, update the template (new mapping, new tool),
 * call again, then uninstall and delete — the tools follow each step. And the refine loop of the integration-builder
 * docs: inspect the definition, add one tool by patch, call it, roll back.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startJiraFake, type JiraFake } from '../src/jira-fake.js';

function tracker(tools: Record<string, unknown>[], slug = 'tracker') {
  return {
    slug,
    name: 'Tracker',
    description: 'In-house tracker (Jira-compatible API)',
    docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/',
    baseUrl: '{+settings.api_url}',
    auth: { type: 'basic', username: 'email', password: 'api_token' },
    credentials: [
      { name: 'email', description: 'Account e-mail', secret: false },
      { name: 'api_token', description: 'API token', secret: true },
    ],
    settings: [{ name: 'api_url', description: 'API origin' }],
    validation: { method: 'GET', path: '/rest/api/3/myself' },
    tools,
  };
}

const getTicket = (response: string) => ({
  name: 'get_ticket',
  title: 'Get ticket',
  description: 'Get a ticket by key',
  docsUrl:
    'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get',
  method: 'GET',
  path: '/rest/api/3/issue/{args.key}',
  inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
  response,
});

const createTicket = {
  name: 'create_ticket',
  title: 'Create ticket',
  description: 'Create a ticket',
  docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post',
  method: 'POST',
  path: '/rest/api/3/issue',
  body: "{fields: {project: {key: 'TR'}, summary: args.summary, issuetype: {name: 'Task'}}}",
  inputSchema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
  response: '{key: key}',
};

describe('integration builder round-trip', () => {
  let client: Client;
  let fake: JiraFake;
  const text = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as { text: string }[])[0]!.text;
  const names = async () => (await client.listTools()).tools.map((t) => t.name);

  beforeAll(async () => {
    fake = await startJiraFake({
      email: 'bot@acme.test',
      apiToken: 'tracker-token',
      site: 'https://tracker.acme.test',
    });
    client = new Client({ name: 'gatehouse-e2e-builder', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(inject('mcpUrl')), {
        requestInit: { headers: { Authorization: `Bearer ${inject('adminToken')}` } },
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    await fake?.close();
  });

  it('create → install → call → update → call → uninstall → delete', async () => {
    const created = await client.callTool({
      name: 'create_integration',
      arguments: { template: tracker([getTicket('{key: key, summary: fields.summary}')]) },
    });
    expect(created.isError, text(created)).toBeFalsy();

    const installed = await client.callTool({
      name: 'install_integration',
      arguments: {
        template: 'tracker',
        title: 'Tracker',
        scope: 'Global',
        credentials: { email: 'bot@acme.test', api_token: 'tracker-token' },
        settings: { api_url: fake.url },
      },
    });
    expect(JSON.parse(text(installed))).toMatchObject({ credentials_checked: true });

    const first = await client.callTool({ name: 'get_ticket', arguments: { key: 'TR-7' } });
    expect(JSON.parse(text(first))).toEqual({ key: 'TR-7', summary: 'Login fails' });

    const updated = await client.callTool({
      name: 'update_integration',
      arguments: {
        slug: 'tracker',
        template: tracker([getTicket('{key: key, summary: fields.summary, status: fields.status.name}'), createTicket]),
      },
    });
    expect(JSON.parse(text(updated))).toMatchObject({
      updated: { version: 2 },
      changes: { tools_added: ['create_ticket'], tools_changed: ['get_ticket'], breaking: false },
    });
    expect(await names()).toEqual(expect.arrayContaining(['get_ticket', 'create_ticket']));

    const second = await client.callTool({ name: 'get_ticket', arguments: { key: 'TR-7' } });
    expect(JSON.parse(text(second))).toEqual({ key: 'TR-7', summary: 'Login fails', status: 'In Progress' });
    const createdTicket = await client.callTool({ name: 'create_ticket', arguments: { summary: 'From the builder' } });
    expect(JSON.parse(text(createdTicket)).key).toMatch(/^TR-\d+$/);
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/rest/api/3/issue',
      body: { fields: { project: { key: 'TR' }, summary: 'From the builder', issuetype: { name: 'Task' } } },
    });

    await client.callTool({ name: 'uninstall_integration', arguments: { integration: 'tracker' } });
    expect(await names()).not.toContain('get_ticket');
    const deleted = await client.callTool({ name: 'delete_integration', arguments: { slug: 'tracker' } });
    expect(JSON.parse(text(deleted))).toEqual({ deleted: 'tracker' });
    const catalog = JSON.parse(text(await client.callTool({ name: 'list_integration_catalog', arguments: {} })));
    expect(catalog.templates.map((t: { slug: string }) => t.slug)).not.toContain('tracker');
  });

  it('inspect → add one tool by patch → call it → roll back', async () => {
    const created = await client.callTool({
      name: 'create_integration',
      arguments: { template: tracker([getTicket('{key: key, summary: fields.summary}')], 'tracker-refine') },
    });
    expect(created.isError, text(created)).toBeFalsy();
    const installed = await client.callTool({
      name: 'install_integration',
      arguments: {
        template: 'tracker-refine',
        title: 'Tracker refine',
        scope: 'Global',
        credentials: { email: 'bot@acme.test', api_token: 'tracker-token' },
        settings: { api_url: fake.url },
      },
    });
    expect(installed.isError, text(installed)).toBeFalsy();

    const inspected = JSON.parse(
      text(await client.callTool({ name: 'get_integration', arguments: { template: 'tracker-refine' } })),
    );
    expect(inspected).toMatchObject({ version: 1, definition: { validation: { path: '/rest/api/3/myself' } } });
    expect(inspected.definition.tools.map((t: { name: string }) => t.name)).toEqual(['get_ticket']);

    const patched = await client.callTool({
      name: 'update_integration',
      arguments: { slug: 'tracker-refine', patch: { op: 'add_tool', tool: createTicket } },
    });
    expect(JSON.parse(text(patched))).toMatchObject({
      updated: { version: 2 },
      changes: { tools_added: ['create_ticket'] },
    });
    expect(await names()).toContain('create_ticket');
    const made = await client.callTool({ name: 'create_ticket', arguments: { summary: 'Added by patch' } });
    expect(JSON.parse(text(made)).key).toMatch(/^TR-\d+$/);

    const rolled = await client.callTool({
      name: 'rollback_integration',
      arguments: { slug: 'tracker-refine', version: 1 },
    });
    expect(JSON.parse(text(rolled))).toMatchObject({
      restored_version: 1,
      updated: { version: 3 },
      changes: { tools_removed: ['create_ticket'] },
    });
    expect(await names()).not.toContain('create_ticket');
    const still = await client.callTool({ name: 'get_ticket', arguments: { key: 'TR-7' } });
    expect(JSON.parse(text(still))).toEqual({ key: 'TR-7', summary: 'Login fails' });

    await client.callTool({ name: 'uninstall_integration', arguments: { integration: 'tracker-refine' } });
    await client.callTool({ name: 'delete_integration', arguments: { slug: 'tracker-refine' } });
  });
});
