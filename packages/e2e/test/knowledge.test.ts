/**
 * Knowledge end to end: a document added through one MCP SDK client (the admin's token) is found by search_knowledge
 * from another client of the same workspace (a member's token), ranked and highlighted, read whole with
 * get_knowledge_document, and gone from both after delete_knowledge_document.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resultText as text } from '../src/provider-session.js';

async function connect(token: string, name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(inject('mcpUrl')), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

describe('knowledge across two MCP clients', () => {
  let admin: Client;
  let member: Client;
  beforeAll(async () => {
    admin = await connect(inject('adminToken'), 'gatehouse-e2e-kb-admin');
    member = await connect(inject('memberToken'), 'gatehouse-e2e-kb-member');
  });
  afterAll(async () => {
    await admin?.close();
    await member?.close();
  });

  it('finds what the other client added, and nothing once it is deleted', async () => {
    const call = async (client: Client, name: string, args: Record<string, unknown>) => {
      const r = await client.callTool({ name, arguments: args });
      expect(r.isError, text(r)).toBeFalsy();
      return JSON.parse(text(r));
    };
    const added = await call(admin, 'add_knowledge_document', {
      title: 'Incident handbook',
      text: '# Incident handbook\n## Paging\nPage the on-call engineer through the paging tool, never by chat.',
      tags: ['ops'],
      external_id: 'e2e/incident-handbook.md',
    });
    const found = await call(member, 'search_knowledge', { query: 'how do I page on-call' });
    expect(found.mode).toBe('fts');
    expect(found.results[0]).toMatchObject({
      document_id: added.document.id,
      title: 'Incident handbook',
      heading: 'Incident handbook › Paging',
    });
    expect(found.results[0].passage).toMatch(/\*\*Page\*\*/);
    const whole = await call(member, 'get_knowledge_document', { document_id: added.document.id });
    expect(whole.text).toContain('never by chat');
    await call(member, 'delete_knowledge_document', { document_id: added.document.id });
    expect((await call(admin, 'search_knowledge', { query: 'paging tool' })).results).toEqual([]);
  });
});
