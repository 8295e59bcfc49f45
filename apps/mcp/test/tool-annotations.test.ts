/**
 * tools/list carries MCP ToolAnnotations (MCP 2025-06-18 §Tools) that tell a client which calls are destructive:
 * core tools declare theirs, template tools derive them from the method or declare them (tool-annotations.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { callTool, rpc, seedTenant } from './helpers.js';
import { installVendorFakes } from './vendor-fakes.js';

beforeAll(() => installVendorFakes());

type Listed = { name: string; annotations?: Record<string, boolean> };

describe('tool annotations in tools/list', () => {
  it('marks deletes destructive and additive writes not, for core and template tools', async () => {
    const { token } = await seedTenant('annotations');
    const installed = await callTool(token, 'install_integration', {
      template: 'zendesk',
      credentials: { email: 'a@b.c', api_token: 't' },
      settings: { instance_url: 'https://acme.zendesk.com' },
    });
    expect(installed.isError, installed.text).toBe(false);
    const { body } = await rpc(token, 'tools/list');
    const tools = new Map((body!.result.tools as Listed[]).map((t) => [t.name, t.annotations]));

    expect(tools.get('delete_integration')).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tools.get('uninstall_integration')).toMatchObject({ destructiveHint: true, idempotentHint: true });
    expect(tools.get('install_integration')).toMatchObject({ destructiveHint: false, openWorldHint: true });
    expect(tools.get('create_agent')).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(tools.get('get_my_profile')).toMatchObject({ readOnlyHint: true });

    // Template tools list only what differs from the spec's defaults (destructive unless said otherwise).
    expect(tools.get('create_ticket')).toEqual({ destructiveHint: false });
    expect(tools.get('update_ticket')?.destructiveHint).not.toBe(false);
    expect(tools.get('list_tickets')).toEqual({ readOnlyHint: true });
  });
});
