/**
 * A local fake of Linear's API on 127.0.0.1: the OAuth token endpoint (POST /oauth/token, client credentials in the
 * form body, codes bound to their PKCE challenge and redirect URI; https://linear.app/developers/oauth-2-0-authentication)
 * and GraphQL (POST /graphql; https://linear.app/developers/graphql). Refuses what Linear refuses: an unknown client
 * or code (400 invalid_client / invalid_grant), GraphQL without the issued token (401 AUTHENTICATION_ERROR), an
 * operation it does not know or without its variables (400 GRAPHQL_VALIDATION_FAILED), any other path (404).
 */
import { sendJson, startHttpFake } from './http-fake.js';
import { pkceS256 } from './pkce.js';

export interface LinearFake {
  url: string;
  /** Issues a code for this PKCE challenge and redirect URI, as Linear does once the person authorizes. */
  issueCode(challenge: string, redirectUri: string): string;
  /** GraphQL requests that carried the issued token: the operation name and variables. */
  operations: { operation: string; variables: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** The operations of @linear/sdk the tools send, with the variables Linear requires for each. */
const KNOWN = { createComment: ['input'], updateIssue: ['id', 'input'], searchIssues: ['term'] } as const;

/** An IssueSearchResult as Linear returns it for the SDK's fragment (the fields its model reads). */
const searchNode = (term: string) => ({
  __typename: 'IssueSearchResult',
  id: '9c8b7a6f-5e4d-4c3b-a2f1-e0d9c8b7a6f5',
  identifier: 'ENG-123',
  title: `Login fails on ${term}`,
  url: 'https://linear.app/acme/issue/ENG-123/login-fails-on-safari',
  priority: 2,
  number: 123,
  createdAt: '2026-11-20T09:00:00.000Z',
  updatedAt: '2026-11-21T08:00:00.000Z',
  labelIds: [],
  reactions: [],
  reactionData: [],
  sharedAccess: {
    isShared: false,
    sharedWithCount: 0,
    viewerHasOnlySharedAccess: false,
    disallowedIssueFields: [],
    sharedWithUsers: [],
  },
  metadata: {},
});

export async function startLinearFake(client: { id: string; secret: string }): Promise<LinearFake> {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const tokens = new Set<string>();
  const operations: LinearFake['operations'] = [];
  const fake = await startHttpFake(async (req, raw, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method === 'POST' && path === '/oauth/token') {
      const form = new URLSearchParams(raw);
      if (form.get('client_id') !== client.id || form.get('client_secret') !== client.secret)
        return sendJson(res, 400, { error: 'invalid_client' });
      const code = codes.get(form.get('code') ?? '');
      if (
        form.get('grant_type') !== 'authorization_code' ||
        !code ||
        code.redirectUri !== form.get('redirect_uri') ||
        code.challenge !== pkceS256(form.get('code_verifier') ?? '')
      )
        return sendJson(res, 400, { error: 'invalid_grant' });
      codes.delete(form.get('code')!);
      const token = `lin_oauth_${crypto.randomUUID()}`;
      tokens.add(token);
      return sendJson(res, 200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: 86399,
        scope: 'read write',
        refresh_token: `lin_refresh_${crypto.randomUUID()}`,
      });
    }
    if (req.method === 'POST' && path === '/graphql') {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !tokens.has(bearer))
        return sendJson(res, 401, {
          errors: [
            { message: 'Authentication required, not authenticated', extensions: { code: 'AUTHENTICATION_ERROR' } },
          ],
        });
      const body = JSON.parse(raw || '{}') as { query?: string; variables?: Record<string, unknown> };
      const operation = /^\s*(?:mutation|query) (\w+)/.exec(body.query ?? '')?.[1] ?? '';
      const needs = KNOWN[operation as keyof typeof KNOWN];
      if (!needs?.every((v) => body.variables?.[v] !== undefined))
        return sendJson(res, 400, {
          errors: [
            {
              message: `Unknown operation or missing variables: ${operation}`,
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            },
          ],
        });
      operations.push({ operation, variables: body.variables! });
      if (operation === 'createComment')
        return sendJson(res, 200, {
          data: {
            commentCreate: {
              __typename: 'CommentPayload',
              comment: { id: crypto.randomUUID() },
              lastSyncId: 1,
              success: true,
            },
          },
        });
      if (operation === 'updateIssue')
        return sendJson(res, 200, {
          data: {
            issueUpdate: {
              __typename: 'IssuePayload',
              issue: { id: body.variables!.id },
              lastSyncId: 2,
              success: true,
            },
          },
        });
      const nodes = [searchNode(String(body.variables!.term))];
      return sendJson(res, 200, {
        data: {
          searchIssues: {
            __typename: 'IssueSearchPayload',
            totalCount: 1,
            nodes,
            archivePayload: { archive: '', totalCount: 0, databaseVersion: 1 },
            pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
          },
        },
      });
    }
    return sendJson(res, 404, { error: 'not found' });
  });
  return {
    ...fake,
    operations,
    issueCode(challenge, redirectUri) {
      const code = `lin_code_${crypto.randomUUID()}`;
      codes.set(code, { challenge, redirectUri });
      return code;
    },
  };
}
