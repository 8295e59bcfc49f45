/**
 * Vendor host patterns: a template whose API lives on known hosts (Jira Cloud `*.atlassian.net`, Zendesk
 * `*.zendesk.com`, Azure DevOps `dev.azure.com`) declares them in `upstreamHosts`, and a base URL expanded from an
 * installation's settings that points anywhere else is refused before credentials are sent: at install, and again on
 * every call (the settings were written before any later template change). A template that also serves self-hosted
 * deployments (Jira Data Center, Azure DevOps Server) says so with `selfHosted: true`, and then any host the outbound
 * policy allows is accepted.
 *
 * A pattern is an exact host or `*.` followed by one: the wildcard stands for exactly one DNS label, as in TLS
 * certificate names (RFC 6125 §6.4.3), so `*.atlassian.net` admits `acme.atlassian.net` but neither
 * `atlassian.net` nor `a.b.atlassian.net`. Hosts compare on the WHATWG-parsed URL (lower case, IDNA to A-labels,
 * no trailing dot), so each spelling of a host reaches one comparison.
 */
import { z } from 'zod';
import { isLoopbackHost } from './outbound-policy.js';
import { expandWithSettings } from './render-request.js';
import type { IntegrationTemplate } from './template-schema.js';

/** `dev.azure.com` or `*.atlassian.net`: lower-case DNS labels, an optional leading one-label wildcard. */
export const hostPatternSchema = z
  .string()
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'a host pattern is a lower-case host name, optionally starting with "*." for one label (e.g. *.atlassian.net)',
  );

/** Whether `host` (a WHATWG-serialized host name) matches `pattern` (hostPatternSchema). */
export function hostMatches(pattern: string, host: string): boolean {
  const name = host.replace(/\.+$/, '');
  if (!pattern.startsWith('*.')) return name === pattern;
  const suffix = pattern.slice(1); // ".atlassian.net"
  if (!name.endsWith(suffix)) return false;
  const label = name.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** The URLs an installation's settings can steer, by field: the base URL and auth URLs that use settings. */
function settingsSteeredUrls(template: Pick<IntegrationTemplate, 'baseUrl' | 'auth'>): [string, string][] {
  const urls: [string, string][] = [['base URL', template.baseUrl]];
  const auth = template.auth;
  if (auth.type === 'oauth2_client_credentials' || auth.type === 'oauth2_authorization_code')
    urls.push(['token URL', auth.tokenUrl]);
  if (auth.type === 'oauth2_authorization_code') urls.push(['authorization URL', auth.authorizeUrl]);
  // A literal auth URL is the template author's (a change to it waits for approval: credentialRoutingChanges).
  return urls.filter(([field, url]) => field === 'base URL' || url.includes('{'));
}

/**
 * Why the installation's settings may not receive this template's credentials, or null when they may: the host of
 * the base URL, and of a token or authorization URL built from settings (client secrets, codes and refresh tokens go
 * there), expanded with `settings`, must match one of `upstreamHosts`, unless the template has none or is
 * `selfHosted`. Loopback hosts are left to the outbound policy (outbound-policy.ts), which refuses them outside
 * development and admits them for the local fakes under ALLOW_LOOPBACK_UPSTREAMS. The message names the hosts, never
 * a credential.
 */
export function upstreamHostProblem(
  template: Pick<IntegrationTemplate, 'name' | 'baseUrl' | 'auth' | 'upstreamHosts' | 'selfHosted'>,
  settings: Record<string, unknown>,
): string | null {
  const hosts = template.upstreamHosts;
  if (!hosts?.length || template.selfHosted) return null;
  for (const [field, url] of settingsSteeredUrls(template)) {
    let host: string;
    try {
      host = new URL(expandWithSettings(url, settings)).hostname;
    } catch {
      return `the ${template.name} ${field} built from the settings is not a valid URL`;
    }
    if (isLoopbackHost(host) || hosts.some((p) => hostMatches(p, host))) continue;
    return (
      `${template.name} runs on ${hosts.join(' or ')}; the settings point its ${field} at ${host}, which this ` +
      'template does not allow (a template marked selfHosted accepts other hosts)'
    );
  }
  return null;
}
