/**
 * What changed between two versions of a template, and whether installations or callers break: a removed tool, a
 * newly required argument or a removed argument breaks callers; a newly required credential or setting breaks the
 * existing installations (they lack it).
 */
import type { IntegrationTemplate, TemplateTool } from './template-schema.js';

export interface TemplateChanges {
  tools_added: string[];
  tools_removed: string[];
  tools_changed: string[];
  breaking: boolean;
  breaking_reasons: string[];
}

function required(tool: TemplateTool): Set<string> {
  return new Set(tool.inputSchema.required ?? []);
}

export function diffTemplates(prev: IntegrationTemplate, next: IntegrationTemplate): TemplateChanges {
  const before = new Map(prev.tools.map((t) => [t.name, t]));
  const after = new Map(next.tools.map((t) => [t.name, t]));
  const reasons: string[] = [];
  const added = [...after.keys()].filter((n) => !before.has(n));
  const removed = [...before.keys()].filter((n) => !after.has(n));
  const changed: string[] = [];
  for (const n of removed) reasons.push(`tool ${n} removed`);
  for (const [name, old] of before) {
    const now = after.get(name);
    if (!now) continue;
    if (JSON.stringify(old) !== JSON.stringify(now)) changed.push(name);
    const oldRequired = required(old);
    for (const r of required(now)) if (!oldRequired.has(r)) reasons.push(`tool ${name}: required argument ${r} added`);
    const nowProps = new Set(Object.keys(now.inputSchema.properties ?? {}));
    for (const p of Object.keys(old.inputSchema.properties ?? {}))
      if (!nowProps.has(p)) reasons.push(`tool ${name}: argument ${p} removed`);
  }
  const oldCreds = new Set(prev.credentials.map((c) => c.name));
  for (const c of next.credentials)
    if (c.required && !oldCreds.has(c.name))
      reasons.push(`credential ${c.name} is now required; existing installations lack it`);
  const oldSettings = new Set(prev.settings.map((s) => s.name));
  for (const s of next.settings)
    if (s.required && !oldSettings.has(s.name))
      reasons.push(`setting ${s.name} is now required; existing installations lack it`);
  if (JSON.stringify(prev.auth) !== JSON.stringify(next.auth)) reasons.push('authentication scheme changed');
  return {
    tools_added: added,
    tools_removed: removed,
    tools_changed: changed,
    breaking: reasons.length > 0,
    breaking_reasons: reasons,
  };
}

/**
 * What in `next` changes where or how an installation's credentials are sent, compared with `prev`: the API origin
 * (`baseUrl`, `upstreamHosts`, `selfHosted`), the authentication (scheme, header or query names, token or authorization URLs, client fields), or
 * the validation request made with the credentials. Such a version reaches an installation only once an ADMIN
 * approves it (apps/mcp builder-tools): a template change must never redirect credentials silently. Empty when
 * nothing of the kind changed (a new tool, a description, a mapping).
 */
export function credentialRoutingChanges(prev: IntegrationTemplate, next: IntegrationTemplate): string[] {
  const reasons: string[] = [];
  if (prev.baseUrl !== next.baseUrl) reasons.push(`baseUrl changed from ${prev.baseUrl} to ${next.baseUrl}`);
  const hosts = (t: IntegrationTemplate) =>
    JSON.stringify({ hosts: t.upstreamHosts ?? null, selfHosted: t.selfHosted });
  if (hosts(prev) !== hosts(next)) reasons.push(`allowed hosts changed from ${hosts(prev)} to ${hosts(next)}`);
  if (JSON.stringify(prev.auth) !== JSON.stringify(next.auth))
    reasons.push(`auth changed from ${JSON.stringify(prev.auth)} to ${JSON.stringify(next.auth)}`);
  if (JSON.stringify(prev.validation ?? null) !== JSON.stringify(next.validation ?? null))
    reasons.push(
      `validation request changed from ${JSON.stringify(prev.validation ?? null)} to ${JSON.stringify(next.validation ?? null)}`,
    );
  return reasons;
}
