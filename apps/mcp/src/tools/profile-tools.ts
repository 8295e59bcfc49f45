/**
 * Context tools from the MCP gateway docs: get_my_profile (the authenticated identity) and get_workspace_info
 * (name, vision, OKRs, active integrations).
 */
import { getWorkspace, listVisibleInstallations } from '@gatehouse/integrations-adapters-cf';
import { z } from 'zod';
import { installationStatus } from './connection-health.js';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

export const getMyProfile = defineCoreTool({
  name: 'get_my_profile',
  title: 'Get my profile',
  description: 'Who you are connected as: user, role, organization and workspace.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  listing: 'always',
  input: z.object({}),
  async run(_args, { principal: p }) {
    return {
      user: { id: p.userId, email: p.email, display_name: p.displayName },
      role: p.role,
      organization: { id: p.organizationId, slug: p.organizationSlug, name: p.organizationName },
      workspace: { id: p.workspaceId, slug: p.workspaceSlug, name: p.workspaceName },
    };
  },
});

export const getWorkspaceInfo = defineCoreTool({
  name: 'get_workspace_info',
  title: 'Get workspace info',
  description: 'The workspace you are connected to: name, vision, OKRs and active integrations.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  listing: 'always',
  input: z.object({}),
  run: (_args, ctx) => readWorkspaceInfo(ctx),
});

/**
 * What get_workspace_info answers: the workspace (id, slug, name, vision, OKRs) and the installations visible in it
 * (handle, title, source, scope). Throws ToolError when the token's workspace no longer exists.
 */
export async function readWorkspaceInfo({ db, principal }: Pick<ToolContext, 'db' | 'principal'>) {
  const [ws, installations] = await Promise.all([getWorkspace(db, principal), listVisibleInstallations(db, principal)]);
  if (!ws) throw new ToolError('The workspace of this token no longer exists.');
  return {
    workspace: { id: ws.id, slug: ws.slug, name: ws.name, vision: ws.vision, okrs: ws.okrs },
    active_integrations: installations.map((i) => ({
      handle: i.handle,
      title: i.title,
      source: i.source,
      scope: i.scope === 'local' ? ('Local' as const) : ('Global' as const),
      status: installationStatus(i),
    })),
  };
}
