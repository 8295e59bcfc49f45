/**
 * The core tools: always listed, whatever the organization installed. One list; adding a tool is one line here.
 */
import { roleAtLeast, type McpToolDescriptor, type Role } from '@gatehouse/integrations-core';
import { z } from 'zod';
import {
  approveIntegrationUpdate,
  createIntegration,
  deleteIntegration,
  listIntegrationVersions,
  rollbackIntegration,
  searchIntegrations,
  uninstallIntegration,
  updateIntegration,
} from './builder-tools.js';
import {
  getIntegration,
  installIntegration,
  listInstalledIntegrations,
  listIntegrationCatalog,
} from './catalog-tools.js';
import { getAgentRunTool, invokeAgentTool } from './agent-run-tools.js';
import { createAgentTool, deleteAgentTool, getAgentTool, listAgentsTool, updateAgentTool } from './agent-tools.js';
import {
  addKnowledgeDocumentTool,
  deleteKnowledgeDocumentTool,
  getKnowledgeDocumentTool,
  listKnowledgeDocumentsTool,
  searchKnowledgeTool,
} from './knowledge-tools.js';
import { getMyProfile, getWorkspaceInfo } from './profile-tools.js';
import { grantPublication } from './publication-tools.js';
import { getRunHistoryItemTool, searchRunHistoryTool } from './run-history-tools.js';
import { getSessionTool, listSessionsTool } from './session-tools.js';
import { getMcpSettings, updateMcpSettings } from './settings-tools.js';
import type { CoreTool } from './tool-types.js';
import { CALL_TOOL_DESCRIPTOR, CALL_TOOL_NAME, type ListingMode } from './call-tool.js';
import { searchToolsTool } from './discovery-tools.js';
import { setIntegrationRateLimit } from './rate-limit.js';
import { updateIntegrationCredentials } from './credentials-tools.js';

export const CORE_TOOLS: readonly CoreTool[] = [
  listIntegrationCatalog,
  getIntegration,
  listInstalledIntegrations,
  installIntegration,
  uninstallIntegration,
  createIntegration,
  updateIntegration,
  listIntegrationVersions,
  rollbackIntegration,
  approveIntegrationUpdate,
  deleteIntegration,
  searchIntegrations,
  getMyProfile,
  getWorkspaceInfo,
  listSessionsTool,
  getSessionTool,
  searchRunHistoryTool,
  getRunHistoryItemTool,
  grantPublication,
  getMcpSettings,
  updateMcpSettings,
  searchKnowledgeTool,
  getKnowledgeDocumentTool,
  listKnowledgeDocumentsTool,
  addKnowledgeDocumentTool,
  deleteKnowledgeDocumentTool,
  listAgentsTool,
  getAgentTool,
  createAgentTool,
  updateAgentTool,
  deleteAgentTool,
  invokeAgentTool,
  getAgentRunTool,
  searchToolsTool,
  setIntegrationRateLimit,
  updateIntegrationCredentials,
];

export const CORE_TOOL_NAMES: ReadonlySet<string> = new Set(CORE_TOOLS.map((t) => t.name));

/** Names integration tools may not take: the core tools' and call_tool's. */
export const RESERVED_TOOL_NAMES: ReadonlySet<string> = new Set([...CORE_TOOL_NAMES, CALL_TOOL_NAME]);

/** Descriptors computed once per isolate from the zod inputs (immutable module data). */
export const CORE_TOOL_DESCRIPTORS: ReadonlyMap<string, McpToolDescriptor> = new Map(
  CORE_TOOLS.map((t) => {
    const { $schema: _drop, ...inputSchema } = z.toJSONSchema(t.input, { io: 'input' }) as Record<string, unknown>;
    return [
      t.name,
      {
        name: t.name,
        title: t.title,
        description: t.description,
        inputSchema: inputSchema as McpToolDescriptor['inputSchema'],
        annotations: t.readOnly
          ? { readOnlyHint: true, openWorldHint: t.openWorld ?? false }
          : {
              readOnlyHint: false,
              destructiveHint: t.destructive ?? false,
              idempotentHint: t.idempotent ?? false,
              openWorldHint: t.openWorld ?? false,
            },
      },
    ];
  }),
);

/** The core tools a caller may call, in list order: its role allows them and its token carries their scope. */
export function coreToolsFor(role: Role, scopes: readonly string[]): CoreTool[] {
  return CORE_TOOLS.filter((t) => roleAtLeast(role, t.minRole) && scopes.includes(t.scope));
}

/**
 * The core descriptors tools/list shows a caller in `mode`, of the tools it may call: in list mode every one but
 * search_tools; in search mode the `always` ones, search_tools and call_tool (call-tool.ts).
 */
export function coreDescriptorsFor(
  role: Role,
  scopes: readonly string[],
  mode: ListingMode = 'list',
): McpToolDescriptor[] {
  const shown = coreToolsFor(role, scopes).filter((t) =>
    mode === 'list' ? t.listing !== 'search' : t.listing === 'always' || t.listing === 'search',
  );
  const descriptors = shown.map((t) => CORE_TOOL_DESCRIPTORS.get(t.name)!);
  return mode === 'search' ? [...descriptors, CALL_TOOL_DESCRIPTOR] : descriptors;
}

/** How many core tools list mode shows the caller (what `auto` counts toward SEARCH_MODE_THRESHOLD). */
export function listedCoreCount(role: Role, scopes: readonly string[]): number {
  return coreToolsFor(role, scopes).filter((t) => t.listing !== 'search').length;
}
