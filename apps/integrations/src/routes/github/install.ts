/**
 * GitHub install. Preferred: a GitHub App (the organization's own app) installed on an account; the gateway
 * authenticates as the app with a JWT (jose, app-jwt.ts) and buys one-hour installation access tokens for the tools.
 * Flow: the person opens https://github.com/apps/<slug>/installations/new?state=… ; GitHub sends them to the app's
 * Setup URL (set it to /install/github/callback) with `installation_id`, `setup_action` and our `state`
 * (https://docs.github.com/en/apps/creating-github-apps/about-creating-github-apps/about-the-setup-url). The callback
 * accepts the installation only if GitHub, asked with the app JWT, says it belongs to that app
 * (GET /app/installations/{installation_id}); then POST /app/installations/{installation_id}/access_tokens
 * (https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app).
 * Also: a credential paste of a repository or organization webhook secret and a fine-grained personal token.
 * Webhook secrets: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
import { Octokit } from '@octokit/core';
import type {
  InstallFlowContext,
  InstallFlowResult,
  InstallSpec,
  OAuthInstallFlow,
} from '@gatehouse/integrations-core';
import { policyFetch } from '../../outbound.js';
import { createAppJwt } from './app-jwt.js';

/** GitHub's REST API; an installation may name another (GitHub Enterprise Server, or a fake) in `api_url`. */
export const GITHUB_API = 'https://api.github.com';

export const githubApiRoot = (settings: Record<string, unknown>) =>
  typeof settings.api_url === 'string' && settings.api_url ? settings.api_url.replace(/\/+$/, '') : GITHUB_API;

function appClient(jwt: string, ctx: InstallFlowContext): Octokit {
  // A JWT goes out as `Authorization: bearer <jwt>` (@octokit/auth-token tells it from a token by its shape).
  return new Octokit({
    auth: jwt,
    baseUrl: githubApiRoot(ctx.settings),
    userAgent: 'gatehouse',
    request: { fetch: policyFetch(ctx.outbound) },
  });
}

/** Buys an installation access token; the stored credentials gain `access_token` and its expiry. */
async function installationToken(
  credentials: Record<string, string>,
  ctx: InstallFlowContext,
): Promise<InstallFlowResult> {
  let jwt: string;
  try {
    jwt = await createAppJwt(credentials.app_id ?? '', credentials.private_key ?? '');
  } catch {
    return { ok: false, message: 'the GitHub App private key could not be read; paste the .pem GitHub generated' };
  }
  try {
    const res = await appClient(jwt, ctx).request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: Number(credentials.installation_id),
    });
    // An unreadable expiry is taken as the documented one hour, not as "expired" (which would buy a token per call).
    const expiresAt = Date.parse(res.data.expires_at);
    return {
      ok: true,
      credentials: {
        ...credentials,
        access_token: res.data.token,
        access_token_expires_at: String(Number.isFinite(expiresAt) ? expiresAt : Date.now() + 3_600_000),
      },
    };
  } catch (err) {
    // Only the status leaves: Octokit's message may quote GitHub's body.
    return {
      ok: false,
      message: `GitHub refused an installation token (${(err as { status?: number }).status ?? 'no answer'}); check the app id, its private key and that the app is still installed`,
    };
  }
}

const githubAppFlow: OAuthInstallFlow = {
  appFields: [
    {
      name: 'app_id',
      description: 'App ID (or Client ID) of your GitHub App (Settings › Developer settings › GitHub Apps)',
      secret: false,
      required: true,
    },
    {
      name: 'app_slug',
      description: 'The app’s URL name (github.com/apps/<slug>); the agent is mentioned as @<slug>',
      secret: false,
      required: true,
    },
    {
      name: 'private_key',
      description: 'A private key of the app (.pem, as GitHub generates it)',
      secret: true,
      required: true,
    },
    { name: 'webhook_secret', description: 'The app’s webhook secret', secret: true, required: true },
  ],
  // Permissions are set on the app itself; these are the ones its tools use.
  scopes: ['issues:write', 'pull_requests:write', 'metadata:read'],
  authorizationUrl(app, request) {
    // github.com: /apps/<slug>/installations/new; GitHub Enterprise Server: <web_url>/github-apps/<slug>/installations/new
    // (https://docs.github.com/en/enterprise-server@3.17/apps/sharing-github-apps/sharing-your-github-app).
    const web =
      typeof request.settings.web_url === 'string' && request.settings.web_url
        ? request.settings.web_url.replace(/\/+$/, '')
        : null;
    const slug = encodeURIComponent(app.app_slug ?? '');
    const url = new URL(
      web ? `${web}/github-apps/${slug}/installations/new` : `https://github.com/apps/${slug}/installations/new`,
    );
    url.searchParams.set('state', request.state);
    return url.toString();
  },
  async complete(callback, app, ctx) {
    if (callback.get('setup_action') === 'request')
      return { ok: false, message: 'An organization owner must approve the app; install again once they have.' };
    const installationId = callback.get('installation_id') ?? '';
    if (!/^\d{1,20}$/.test(installationId))
      return { ok: false, message: 'The callback has no installation_id; set the app’s Setup URL to this callback.' };
    let jwt: string;
    try {
      jwt = await createAppJwt(app.app_id ?? '', app.private_key ?? '');
    } catch {
      return { ok: false, message: 'the GitHub App private key could not be read; paste the .pem GitHub generated' };
    }
    // installation_id arrives through the browser: accept it only if GitHub says it is an installation of this app.
    let account: string;
    try {
      const res = await appClient(jwt, ctx).request('GET /app/installations/{installation_id}', {
        installation_id: Number(installationId),
      });
      if (String(res.data.app_id) !== app.app_id && res.data.app_slug !== app.app_slug)
        return { ok: false, message: 'That installation belongs to another app.' };
      account = res.data.account && 'login' in res.data.account ? res.data.account.login : '';
    } catch (err) {
      return {
        ok: false,
        message: `GitHub does not know installation ${installationId} of this app (${(err as { status?: number }).status ?? 'no answer'})`,
      };
    }
    return installationToken(
      { ...app, installation_id: installationId, account, app_login: `${app.app_slug}[bot]` },
      ctx,
    );
  },
  refresh: installationToken,
};

export const githubInstall = {
  type: 'oauth',
  verify: (credentials, ctx) => verifyGithubPaste(credentials, ctx),
  fields: [
    {
      name: 'webhook_secret',
      description: 'The secret set on the GitHub webhook (Settings › Webhooks)',
      secret: true,
      required: true,
    },
    {
      name: 'previous_webhook_secret',
      description: 'The former secret while you rotate it; remove it once GitHub uses the new one',
      secret: true,
      required: false,
    },
    {
      name: 'app_login',
      description:
        'GitHub login the agent acts as (e.g. my-app[bot]); when set, only mentions of it, reviews requested from it and assignments to it start sessions',
      secret: false,
      required: false,
    },
    {
      name: 'token',
      description: 'Fine-grained personal access token for the tools (Issues: read & write)',
      secret: true,
      required: false,
    },
  ],
  settings: [
    {
      name: 'api_url',
      description: `REST API root for GitHub Enterprise Server, e.g. https://github.example.com/api/v3 (default ${GITHUB_API})`,
      secret: false,
      required: false,
    },
    {
      name: 'web_url',
      description:
        'Web origin of GitHub Enterprise Server, e.g. https://github.example.com, for the App install page (default github.com)',
      secret: false,
      required: false,
    },
  ],
  oauth: githubAppFlow,
} as const satisfies InstallSpec;

/**
 * A pasted token must work: `GET /user` (https://docs.github.com/en/rest/users/users#get-the-authenticated-user)
 * answers 200 for a valid personal token. A webhook secret alone (no tools) has nothing to check.
 */
export async function verifyGithubPaste(
  credentials: Record<string, string>,
  ctx: InstallFlowContext,
): Promise<{ ok: true } | { ok: false; message: string }> {
  if (!credentials.token) return { ok: true };
  try {
    await new Octokit({
      auth: credentials.token,
      baseUrl: githubApiRoot(ctx.settings),
      userAgent: 'gatehouse',
      request: { fetch: policyFetch(ctx.outbound) },
    }).request('GET /user');
    return { ok: true };
  } catch (err) {
    const status = (err as { status?: number }).status;
    return {
      ok: false,
      message: `GitHub refused the token (${status ?? 'no answer'} from GET /user); paste a working personal or fine-grained token`,
    };
  }
}
