/**
 * OAuth installs of code providers (Linear): start → the person authorizes at the vendor → the callback exchanges the
 * code (PKCE) at the vendor's token endpoint (a fake answering as Linear's does) → the installation is active with
 * the tokens encrypted. The state is single-use; a declined or forged callback installs nothing.
 */
import { SELF, env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callProviderTool, db, installProvider, pkceS256, seedTenant } from './tenant.js';
import { appendSessionDispatch, createOAuthState, findInstallation } from '@gatehouse/integrations-adapters-cf';
import { createCredentialsCipher } from '@gatehouse/integrations-core';

const issued = new Map<string, { challenge: string; redirectUri: string }>();
const tokenRequests: URLSearchParams[] = [];
const graphql: { authorization: string | null; body: string }[] = [];
let exchangeExpiresIn = 86399;
let refreshN = 0;

beforeEach(() => {
  const real = globalThis.fetch;
  // Linear's token endpoint (https://linear.app/developers/oauth-2-0-authentication): form body with client_id and
  // client_secret; codes bound to their PKCE challenge and redirect URI.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.hostname !== 'api.linear.app') return real(input, init);
    if (url.pathname === '/graphql') {
      const body = await req.text();
      graphql.push({ authorization: req.headers.get('authorization'), body });
      // Answers shaped like Linear's for the SDK's operations (https://studio.apollographql.com/public/Linear-API).
      const operation = /^\s*(?:mutation|query) (\w+)/.exec((JSON.parse(body) as { query: string }).query)?.[1];
      if (operation === 'createComment')
        return Response.json({
          data: {
            commentCreate: { __typename: 'CommentPayload', comment: { id: 'c1' }, lastSyncId: 1, success: true },
          },
        });
      if (operation === 'searchIssues')
        return Response.json({
          data: {
            searchIssues: {
              __typename: 'IssueSearchPayload',
              totalCount: 0,
              nodes: [],
              archivePayload: { archive: '', totalCount: 0, databaseVersion: 1 },
              pageInfo: { hasNextPage: false, hasPreviousPage: false },
            },
          },
        });
      return Response.json({ errors: [{ message: `unknown operation ${operation}` }] }, { status: 400 });
    }
    const form = new URLSearchParams(await req.text());
    tokenRequests.push(form);
    if (
      url.pathname !== '/oauth/token' ||
      form.get('client_id') !== 'lin-client' ||
      form.get('client_secret') !== 'lin-secret'
    )
      return Response.json({ error: 'invalid_client' }, { status: 401 });
    if (form.get('grant_type') === 'refresh_token') {
      if (form.get('refresh_token') !== 'lin_refresh' && form.get('refresh_token') !== `lin_refresh_${refreshN}`)
        return Response.json({ error: 'invalid_grant' }, { status: 400 });
      refreshN++;
      return Response.json({
        access_token: `lin_access_${refreshN}`,
        token_type: 'Bearer',
        expires_in: 86399,
        refresh_token: `lin_refresh_${refreshN}`,
      });
    }
    const code = issued.get(form.get('code') ?? '');
    if (
      !code ||
      code.redirectUri !== form.get('redirect_uri') ||
      code.challenge !== (await pkceS256(form.get('code_verifier') ?? ''))
    )
      return Response.json({ error: 'invalid_grant' }, { status: 400 });
    return Response.json({
      access_token: 'lin_oauth_access',
      token_type: 'Bearer',
      expires_in: exchangeExpiresIn,
      scope: 'read write',
      refresh_token: 'lin_refresh',
    });
  });
});
afterEach(() => vi.restoreAllMocks());

async function start(slug: string) {
  const { org, ws, user, token } = await seedTenant(slug);
  const { res, body } = await installProvider(token, 'linear', {
    mode: 'oauth',
    credentials: {
      client_id: 'lin-client',
      client_secret: 'lin-secret',
      webhook_secret: 'whsec',
      app_user_id: 'app-user',
      app_user_name: 'gatehouse',
    },
  });
  expect(res.status).toBe(201);
  const url = new URL(body.authorization_url);
  const code = `code-${crypto.randomUUID()}`;
  issued.set(code, {
    challenge: url.searchParams.get('code_challenge')!,
    redirectUri: url.searchParams.get('redirect_uri')!,
  });
  return { org, ws, user, body, url, state: url.searchParams.get('state')!, code };
}

const callback = (query: string) => SELF.fetch(`http://integrations.test/install/linear/callback?${query}`);

describe('OAuth install of a provider (Linear)', () => {
  it('starts pending with an authorization URL, and the callback activates it with encrypted tokens', async () => {
    const { org, body, url, state, code } = await start('oauth-lin');
    expect(body.installation.status).toBe('pending_authorization');
    expect(url.origin + url.pathname).toBe('https://linear.app/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'lin-client',
      redirect_uri: 'http://integrations.test/install/linear/callback',
      scope: 'read,write,comments:create,app:assignable,app:mentionable',
      actor: 'app',
      code_challenge_method: 'S256',
    });
    expect(JSON.stringify(body)).not.toContain('lin-secret');

    const res = await callback(`code=${code}&state=${state}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/is installed/);
    const row = await findInstallation(db, { organizationId: org.id }, body.installation.id);
    expect(row?.status).toBe('active');
    expect(row!.credentials).not.toContain('lin_oauth_access');
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    expect(await cipher.decrypt(row!.credentials)).toMatchObject({
      access_token: 'lin_oauth_access',
      refresh_token: 'lin_refresh',
      client_id: 'lin-client',
    });
    expect(tokenRequests.at(-1)?.get('grant_type')).toBe('authorization_code');

    // The state is single-use.
    expect((await callback(`code=${code}&state=${state}`)).status).toBe(400);
  });

  it('refuses a forged state and a declined authorization, leaving the installation pending', async () => {
    const { org, body, state } = await start('oauth-lin-refused');
    expect((await callback('code=x&state=forged')).status).toBe(400);
    const declined = await callback(`error=access_denied&state=${state}`);
    expect(declined.status).toBe(400);
    expect(await declined.text()).toMatch(/access_denied/);
    expect((await findInstallation(db, { organizationId: org.id }, body.installation.id))?.status).toBe('pending');
  });

  it('refuses a state issued for another integration, and one whose payload cannot be read (400, nothing changes)', async () => {
    const { org, ws, user, body, code } = await start('oauth-lin-foreign');
    const tenant = { organizationId: org.id, workspaceId: ws.id };
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    const carried = { installationId: body.installation.id, codeVerifier: 'v'.repeat(43), redirectUri: 'x' };
    // A template install's state (same organization, same installation named) is not a Linear state.
    const foreign = await createOAuthState(db, tenant, {
      provider: 'template:vendor',
      userId: user.id,
      payload: await cipher.encrypt(carried),
    });
    const refused = await callback(`code=${code}&state=${foreign.state}`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/expired or was already used/);
    // A Linear state whose payload was encrypted with a key this worker no longer has.
    const unreadable = await createOAuthState(db, tenant, {
      provider: 'linear',
      userId: user.id,
      payload: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiZ29uZSJ9..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
    });
    expect((await callback(`code=${code}&state=${unreadable.state}`)).status).toBe(400);
    expect((await findInstallation(db, { organizationId: org.id }, body.installation.id))?.status).toBe('pending');
    expect(tokenRequests.filter((f) => f.get('code') === code)).toEqual([]);
  });

  it('refuses a code the vendor did not issue for this PKCE challenge', async () => {
    const { org, body, state } = await start('oauth-lin-badcode');
    const res = await callback(`code=not-issued&state=${state}`);
    expect(res.status).toBe(502);
    expect((await findInstallation(db, { organizationId: org.id }, body.installation.id))?.status).toBe('pending');
  });
});

describe('OAuth tokens of a provider in use', () => {
  it('refreshes an expiring access token before a tool call, once, and calls with the new one', async () => {
    exchangeExpiresIn = 30; // inside the early-refresh window
    const s = await start('oauth-lin-refresh');
    expect((await callback(`code=${s.code}&state=${s.state}`)).status).toBe(200);
    exchangeExpiresIn = 86399;
    const issueId = '9c8b7a6f-5e4d-4c3b-a2f1-e0d9c8b7a6f5';
    const { sessionId } = await appendSessionDispatch(
      db,
      { organizationId: s.org.id },
      {
        dispatchId: `linear:${s.body.installation.id}:d1`,
        organizationId: s.org.id,
        workspaceId: null,
        installationId: s.body.installation.id,
        provider: 'linear',
        threadKey: issueId,
        title: 'ENG-123',
        publication: { granularity: 'issue', target: issueId, scopes: ['comment.create'] },
        event: { name: 'Issue.update', actor: 'Ada', summary: 's', data: {} },
      },
    );
    const call = {
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.body.installation.id,
      tool: 'mcp_linear_create_comment',
      arguments: { issue_id: issueId, body: 'On it.' },
      sessionId,
    };
    const refreshesBefore = tokenRequests.filter((f) => f.get('grant_type') === 'refresh_token').length;
    const res = await callProviderTool(call);
    expect(res.status).toBe(200);
    expect(tokenRequests.filter((f) => f.get('grant_type') === 'refresh_token').length).toBe(refreshesBefore + 1);
    expect(graphql.at(-1)?.authorization).toBe(`Bearer lin_access_${refreshN}`);
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    const row = await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id);
    expect(await cipher.decrypt(row!.credentials)).toMatchObject({
      access_token: `lin_access_${refreshN}`,
      refresh_token: `lin_refresh_${refreshN}`,
    });

    // Other Linear tools: a state change outside the session's publication (issue.update is not among its scopes)
    // is refused; a search (a read) goes through with the GraphQL operation Linear documents.
    const send = async (tool: string, args: Record<string, unknown>) => {
      return callProviderTool({
        organizationId: s.org.id,
        workspaceId: s.ws.id,
        userId: s.user.id,
        installationId: s.body.installation.id,
        tool,
        arguments: args,
        sessionId,
      });
    };
    const before = graphql.length;
    expect((await send('mcp_linear_update_issue_state', { issue_id: issueId, state_id: 'done-state' })).status).toBe(
      403,
    );
    expect(graphql.length).toBe(before);
    const search = await send('mcp_linear_search_issues', { term: 'Safari' });
    expect(search.status).toBe(200);
    expect(await search.json()).toEqual({ result: { issues: [], total: 0 } });
    expect(JSON.parse(graphql.at(-1)!.body)).toMatchObject({
      query: expect.stringMatching(/^\s*query searchIssues\(/),
      variables: { term: 'Safari', first: 20 },
    });
  });
});
