/**
 * install_integration's credential check: when a template declares a validation request (e.g. Jira's
 * GET /rest/api/3/myself), make it with the supplied settings and credentials before anything is saved. The same
 * renderer, outbound policy, deadline and size cap as tool calls apply; the outcome names the upstream status, never
 * the secret or the upstream body.
 */
import { clientCredentialsToken } from './client-credentials.js';
import { executeTemplateTool, type ExecuteOptions } from './execute-tool.js';
import type { IntegrationTemplate, TemplateTool } from './template-schema.js';
import { upstreamHostProblem } from './upstream-hosts.js';

/** The check's outcome; a refusal carries the upstream's HTTP status when the service answered. */
export type CredentialCheck = { ok: true; checked: boolean } | { ok: false; message: string; status?: number };

export async function validateCredentials(
  template: IntegrationTemplate,
  input: { settings: Record<string, unknown>; credentials: Record<string, string> },
  options: ExecuteOptions,
): Promise<CredentialCheck> {
  const hostProblem = upstreamHostProblem(template, input.settings);
  if (hostProblem) return { ok: false, message: hostProblem };
  if (!template.validation) {
    // A client-credentials template is checked by obtaining a token.
    if (template.auth.type !== 'oauth2_client_credentials') return { ok: true, checked: false };
    const token = await clientCredentialsToken(template.name, template.auth, input, options);
    return token.ok
      ? { ok: true, checked: true }
      : { ok: false, message: `${template.name} refused the credentials check: ${token.message}` };
  }
  const probe: TemplateTool = {
    name: 'validate_credentials',
    title: 'Validate credentials',
    description: 'Credential check made at install',
    docsUrl: template.docsUrl,
    method: template.validation.method,
    path: template.validation.path,
    inputSchema: { type: 'object', properties: {} },
    readOnly: true,
  };
  const outcome = await executeTemplateTool(template, probe, { args: {}, ...input }, options);
  if (outcome.ok) return { ok: true, checked: true };
  return {
    ok: false,
    message: `${template.name} refused the credentials check: ${outcome.message.replace(`${template.name}: `, '')}`,
    ...(outcome.status !== undefined ? { status: outcome.status } : {}),
  };
}
