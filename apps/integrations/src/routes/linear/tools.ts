/**
 * Linear tools (mcp_linear_<tool>) over the GraphQL API (https://linear.app/developers/graphql), authenticated with
 * the installation's API key (`Authorization: <key>`, https://linear.app/developers/graphql#personal-api-keys).
 */
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';
import { z } from 'zod';

const API = 'https://api.linear.app/graphql';

export const linearTools = [
  {
    name: 'mcp_linear_create_comment',
    description: 'Comment on a Linear issue.',
    inputSchema: { type: 'object', properties: { issue_id: { type: 'string' }, body: { type: 'string', minLength: 1 } }, required: ['issue_id', 'body'] },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'comment.create',
    target: (input: Record<string, unknown>) => (typeof input.issue_id === 'string' ? input.issue_id : null),
  },
] as const satisfies readonly ProviderTool[];

export class LinearToolError extends Error {
  override name = 'LinearToolError';
}

export async function executeLinearTool(name: string, input: Record<string, unknown>, ctx: PublicationContext): Promise<unknown> {
  if (name !== 'mcp_linear_create_comment') throw new LinearToolError(`unknown Linear tool ${name}`);
  const { issue_id, body } = z.object({ issue_id: z.string().min(1), body: z.string().min(1) }).parse(input);
  // OAuth installs carry an access token (Bearer); pasted personal API keys are sent as they are.
  const { access_token: accessToken, api_key: apiKey } = ctx.installation.credentials;
  const authorization = accessToken ? `Bearer ${accessToken}` : apiKey;
  if (!authorization) throw new LinearToolError('this Linear installation has no API key or OAuth token; reinstall to use tools');
  const res = await ctx.fetch(API, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) { success comment { id url } } }',
      variables: { input: { issueId: issue_id, body } },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new LinearToolError(`Linear answered ${res.status}`);
  return res.json();
}
