/**
 * Integration tools generated from installations, as the MCP gateway docs describe ("Tools are grouped by their
 * generic name… If multiple integrations provide the same name, an _integration parameter is added").
 *
 * Pure: takes installations and templates, returns the tool descriptors and the routing table. The caller caches
 * the result per (organization, workspace, catalog version).
 */
import {
  combineAnnotations,
  listedAnnotations,
  templateToolAnnotations,
  type IntegrationTemplate,
  type TemplateTool,
} from '@gatehouse/catalog';
import type { McpToolDescriptor } from '@gatehouse/integrations-core';
import type { ProviderToolInfo } from './provider-registry.js';

/** The argument that picks an installation when several provide one tool name. */
export const INTEGRATION_ARGUMENT = '_integration';

export interface InstallationRef {
  id: string;
  handle: string;
  title: string;
  scope: 'local' | 'global';
  kind: 'template' | 'provider';
  source: string;
  /** installations.health: a `needsReauth` installation's tools are titled so (connection-health.ts). */
  health?: { needsReauth?: boolean } | null;
}

/** An installation's title as tool titles and `_integration` options show it. */
const shownTitle = (i: InstallationRef) => (i.health?.needsReauth ? `${i.title} — needs re-authorization` : i.title);

/** A template tool of an installation (executed here, from its declarative template). */
export interface TemplateRoute {
  kind: 'template';
  installation: InstallationRef;
  template: IntegrationTemplate;
  tool: TemplateTool;
}

/** A code provider's tool of an installation (forwarded to the integrations worker). */
export interface ProviderRoute {
  kind: 'provider';
  installation: InstallationRef;
  providerId: string;
  tool: ProviderToolInfo;
}

export type ToolRoute = TemplateRoute | ProviderRoute;

/** The argument naming the agent session a provider tool call acts for (its publication decides where it writes). */
export const SESSION_ARGUMENT = '_session';

export interface IntegrationToolset {
  descriptors: McpToolDescriptor[];
  /** Tool name → the installations providing it (one, or several when disambiguated). */
  routes: Map<string, ToolRoute[]>;
}

/**
 * Groups template tools by generic name. One provider: listed as the template defines it. Several: listed once
 * with an optional `_integration` enum of installation handles (optional so that a call without it reaches the
 * gateway, which answers with the list of options). Names in `reserved` (core tools) are skipped.
 *
 * Local and Global: both are visible in a workspace. When a workspace's Local installation and a Global one provide
 * the same name, the caller sees one tool with `_integration`, the workspace's Local installations listed first
 * (then Global, each in installation order); nothing is preferred silently, so a call must name one.
 */
export function buildIntegrationToolset(
  installations: readonly InstallationRef[],
  templateFor: (installation: InstallationRef) => IntegrationTemplate | undefined,
  reserved: ReadonlySet<string>,
  providerToolsFor: (providerId: string) => readonly ProviderToolInfo[] | undefined = () => undefined,
): IntegrationToolset {
  const routes = new Map<string, ToolRoute[]>();
  const ordered = [
    ...installations.filter((i) => i.scope === 'local'),
    ...installations.filter((i) => i.scope === 'global'),
  ];
  const add = (name: string, route: ToolRoute) => {
    if (reserved.has(name)) return;
    const list = routes.get(name) ?? [];
    list.push(route);
    routes.set(name, list);
  };
  for (const installation of ordered) {
    if (installation.kind === 'provider') {
      for (const tool of providerToolsFor(installation.source) ?? [])
        add(tool.name, { kind: 'provider', installation, providerId: installation.source, tool });
      continue;
    }
    // The template as this installation runs it: its pinned version may be older than the catalog's.
    const template = templateFor(installation);
    if (!template) continue;
    for (const tool of template.tools) add(tool.name, { kind: 'template', installation, template, tool });
  }
  const descriptors: McpToolDescriptor[] = [];
  for (const [name, list] of routes) {
    const first = describeRoute(list[0]!);
    // The cautious combination of the providing tools' hints, listed without the spec's defaults (tool-annotations.ts):
    // at hundreds of tools every byte of the list is paid on each tools/list.
    const annotations = listedAnnotations(combineAnnotations(list.map((r) => describeRoute(r).annotations)));
    if (list.length === 1) {
      descriptors.push({
        name,
        title: `${first.title} (${shownTitle(list[0]!.installation)})`,
        description: first.description,
        inputSchema: first.inputSchema,
        ...(annotations ? { annotations } : {}),
      });
      continue;
    }
    const options = list.map(
      (r) =>
        `"${r.installation.handle}" = ${shownTitle(r.installation)} (${describeRoute(r).source}, ${r.installation.scope})`,
    );
    // Schemas may differ between templates; the first one is listed and each call is validated against the schema
    // of the installation it resolves to.
    const schema = first.inputSchema;
    descriptors.push({
      name,
      title: first.title,
      description: `${first.description} Provided by ${list.length} integrations: choose one with ${INTEGRATION_ARGUMENT}.`,
      inputSchema: {
        ...schema,
        properties: {
          ...schema.properties,
          [INTEGRATION_ARGUMENT]: {
            type: 'string',
            enum: list.map((r) => r.installation.handle),
            description: `Which integration to use: ${options.join('; ')}`,
          },
        },
      },
      ...(annotations ? { annotations } : {}),
    });
  }
  return { descriptors, routes };
}

/** The toolset of a caller who may not call integration tools (no mcp:execute). */
export const EMPTY_TOOLSET: IntegrationToolset = Object.freeze({ descriptors: [], routes: new Map() });

/** What the listing needs of a route, whatever runs it. */
function describeRoute(route: ToolRoute) {
  if (route.kind === 'template')
    return {
      title: route.tool.title,
      description: route.tool.description,
      inputSchema: route.tool.inputSchema,
      annotations: templateToolAnnotations(route.tool),
      source: route.template.name,
    };
  const writes = route.tool.publicationScope !== null;
  const declared = route.tool.annotations;
  const inputSchema = writes
    ? {
        ...route.tool.inputSchema,
        properties: {
          ...route.tool.inputSchema.properties,
          [SESSION_ARGUMENT]: {
            type: 'string',
            description: `Agent session (from list_sessions) this call acts for; its publication must grant ${route.tool.publicationScope} here.`,
          },
        },
      }
    : route.tool.inputSchema;
  return {
    title: route.tool.title ?? route.tool.name,
    description: route.tool.description,
    inputSchema,
    // As the provider declares them; what it leaves out takes the spec's cautious default (a writer may destroy).
    annotations: {
      readOnlyHint: declared?.readOnlyHint ?? !writes,
      destructiveHint: declared?.destructiveHint ?? writes,
      idempotentHint: declared?.idempotentHint ?? !writes,
      openWorldHint: declared?.openWorldHint ?? true,
    },
    source: route.providerId,
  };
}

export type RouteChoice = { ok: true; route: ToolRoute } | { ok: false; message: string };

/** Picks the route for a call; a missing or unknown `_integration` on a shared name lists the options. */
export function chooseRoute(name: string, routes: readonly ToolRoute[], args: Record<string, unknown>): RouteChoice {
  if (routes.length === 1) return { ok: true, route: routes[0]! };
  const wanted = args[INTEGRATION_ARGUMENT];
  const options = routes
    .map(
      (r) =>
        `- ${r.installation.handle}: ${r.installation.title} (${describeRoute(r).source}, ${r.installation.scope})`,
    )
    .join('\n');
  if (typeof wanted !== 'string' || wanted === '')
    return {
      ok: false,
      message: `Several integrations provide ${name}. Call it again with ${INTEGRATION_ARGUMENT} set to one of:\n${options}`,
    };
  const route = routes.find((r) => r.installation.handle === wanted);
  if (!route)
    return {
      ok: false,
      message: `${INTEGRATION_ARGUMENT} "${wanted}" does not provide ${name}. Choose one of:\n${options}`,
    };
  return { ok: true, route };
}
