/**
 * Linear tools (mcp_linear_<tool>) over the GraphQL API (https://linear.app/developers/graphql), authenticated with an
 * OAuth access token (`Bearer`) or a pasted personal API key (https://linear.app/developers/graphql#personal-api-keys).
 * Writes declare their publication scope and the issue they write to (the session thread key is the issue's UUID).
 */
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { linearApiRoot } from './install.js';

const issueTarget = (input: Record<string, unknown>) => (typeof input.issue_id === 'string' ? input.issue_id : null);

export const linearTools = [
  {
    name: 'mcp_linear_create_comment',
    description: 'Comment on a Linear issue.',
    inputSchema: { type: 'object', properties: { issue_id: { type: 'string', description: 'Issue UUID' }, body: { type: 'string', minLength: 1 } }, required: ['issue_id', 'body'] },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'comment.create',
    target: issueTarget,
  },
  {
    name: 'mcp_linear_update_issue_state',
    description: 'Move a Linear issue to another workflow state.',
    inputSchema: {
      type: 'object',
      properties: { issue_id: { type: 'string', description: 'Issue UUID' }, state_id: { type: 'string', description: 'Workflow state UUID of the issue’s team' } },
      required: ['issue_id', 'state_id'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'issue.update',
    target: issueTarget,
  },
  {
    name: 'mcp_linear_search_issues',
    description: 'Search Linear issues by text.',
    inputSchema: { type: 'object', properties: { term: { type: 'string', minLength: 1 }, first: { type: 'integer', minimum: 1, maximum: 50 } }, required: ['term'] },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
] as const satisfies readonly ProviderTool[];

export class LinearToolError extends Error {
  override name = 'LinearToolError';
}

const OPERATIONS = {
  mcp_linear_create_comment: {
    input: z.object({ issue_id: z.string().min(1), body: z.string().min(1) }),
    query: 'mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) { success comment { id url } } }',
    variables: (a: { issue_id: string; body: string }) => ({ input: { issueId: a.issue_id, body: a.body } }),
  },
  mcp_linear_update_issue_state: {
    input: z.object({ issue_id: z.string().min(1), state_id: z.string().min(1) }),
    query: 'mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success issue { id identifier state { name } } } }',
    variables: (a: { issue_id: string; state_id: string }) => ({ id: a.issue_id, input: { stateId: a.state_id } }),
  },
  mcp_linear_search_issues: {
    input: z.object({ term: z.string().min(1), first: z.number().int().min(1).max(50).optional() }),
    query: 'query SearchIssues($term: String!, $first: Int) { searchIssues(term: $term, first: $first) { nodes { id identifier title state { name } url } } }',
    variables: (a: { term: string; first?: number | undefined }) => ({ term: a.term, first: a.first ?? 20 }),
  },
} as const;

export async function executeLinearTool(name: string, input: Record<string, unknown>, ctx: PublicationContext): Promise<unknown> {
  if (!(name in OPERATIONS)) throw new LinearToolError(`unknown Linear tool ${name}`);
  const op = OPERATIONS[name as keyof typeof OPERATIONS];
  const args = op.input.parse(input);
  // OAuth installs carry an access token (Bearer); pasted personal API keys are sent as they are.
  const { access_token: accessToken, api_key: apiKey } = ctx.installation.credentials;
  const authorization = accessToken ? `Bearer ${accessToken}` : apiKey;
  if (!authorization) throw new LinearToolError('this Linear installation has no API key or OAuth token; reinstall to use tools');
  const res = await ctx.fetch(`${linearApiRoot(ctx.installation.settings)}/graphql`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ query: op.query, variables: (op.variables as (a: unknown) => unknown)(args) }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new LinearToolError(`Linear answered ${res.status}`);
  const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
  if (body.errors?.length) throw new LinearToolError('Linear refused the request');
  return body.data;
}
