/**
 * A catalog template's `oauth2_authorization_code` auth as an OAuthInstallFlow, built with the same
 * authorizationCodeFlow as the code providers' (packages/catalog template-schema.ts for the fields): URLs are URI
 * Templates over the installation's settings (RFC 6570), scopes are space-separated (RFC 6749 §3.3), the client
 * authenticates with HTTP Basic (§2.3.1), and a token answer without `expires_in` is taken to last an hour.
 */
import { expandWithSettings, type AuthorizationCodeAuth, type IntegrationTemplate } from '@gatehouse/catalog';
import type { OAuthInstallFlow } from '@gatehouse/integrations-core';
import { authorizationCodeFlow } from './authorization-code-flow.js';

/** The state key of a template's installs: the templates' callback accepts these, a provider's callback none. */
export const TEMPLATE_STATE_PREFIX = 'template:';

/** The state key for `template`. */
export function templateStateKey(template: Pick<IntegrationTemplate, 'slug'>): string {
  return `${TEMPLATE_STATE_PREFIX}${template.slug}`;
}

/** The flow of a template whose auth is the authorization code grant. */
export function templateAuthorizationFlow(
  template: IntegrationTemplate & { auth: AuthorizationCodeAuth },
): OAuthInstallFlow {
  const { auth } = template;
  return authorizationCodeFlow({
    service: template.name,
    authorizeUrl: (settings) => expandWithSettings(auth.authorizeUrl, settings),
    tokenUrl: (settings) => expandWithSettings(auth.tokenUrl, settings),
    scopes: auth.scopes,
    scopeSeparator: ' ',
    clientAuth: 'basic',
    clientFields: { id: auth.clientId, secret: auth.clientSecret },
    appFields: template.credentials,
    assumedLifetimeSec: 3600,
  });
}
