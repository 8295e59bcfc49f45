/**
 * Linear tools (mcp_linear_<tool>) through Linear's official SDK (@linear/sdk: its GraphQL operations and models,
 * https://linear.app/developers/sdk) over the GraphQL API (https://linear.app/developers/graphql), authenticated with
 * an OAuth access token (`Bearer`) or a pasted personal API key (https://linear.app/developers/graphql#personal-api-keys).
 * The SDK's own client calls the global fetch; its `LinearSdk` takes a request function instead, so requests go
 * through `ctx.fetch` and the outbound policy like every provider's. Writes declare their publication scope and the
 * issue they write to (the session thread key is the issue's UUID).
 */
import { LinearSdk } from '@linear/sdk';
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { linearApiRoot } from './install.js';

const issueTarget = (input: Record<string, unknown>) => (typeof input.issue_id === 'string' ? input.issue_id : null);

export const linearTools = [
  {
    name: 'mcp_linear_create_comment',
    description: 'Comment on a Linear issue.',
    inputSchema: {
      type: 'object',
      properties: { issue_id: { type: 'string', description: 'Issue UUID' }, body: { type: 'string', minLength: 1 } },
      required: ['issue_id', 'body'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'comment.create',
    target: issueTarget,
  },
  {
    name: 'mcp_linear_update_issue_state',
    description: 'Move a Linear issue to another workflow state.',
    inputSchema: {
      type: 'object',
      properties: {
        issue_id: { type: 'string', description: 'Issue UUID' },
        state_id: { type: 'string', description: 'Workflow state UUID of the issue’s team' },
      },
      required: ['issue_id', 'state_id'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'issue.update',
    target: issueTarget,
  },
  {
    name: 'mcp_linear_search_issues',
    description: 'Search Linear issues by text.',
    inputSchema: {
      type: 'object',
      properties: { term: { type: 'string', minLength: 1 }, first: { type: 'integer', minimum: 1, maximum: 50 } },
      required: ['term'],
    },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
] as const satisfies readonly ProviderTool[];

export class LinearToolError extends Error {
  override name = 'LinearToolError';
}

/** A Linear SDK whose GraphQL requests go through the executor's fetch (outbound policy, deadline). */
function linearSdk(ctx: PublicationContext): LinearSdk {
  // OAuth installs carry an access token (Bearer); pasted personal API keys are sent as they are.
  const { access_token: accessToken, api_key: apiKey } = ctx.installation.credentials;
  const authorization = accessToken ? `Bearer ${accessToken}` : apiKey;
  if (!authorization)
    throw new LinearToolError('this Linear installation has no API key or OAuth token; reinstall to use tools');
  const url = `${linearApiRoot(ctx.installation.settings)}/graphql`;
  return new LinearSdk(async <Response>(document: unknown, variables?: Record<string, unknown>): Promise<Response> => {
    const res = await ctx.fetch(url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      // The SDK's documents are TypedDocumentString (a String): their text is the operation.
      body: JSON.stringify({ query: String(document), variables }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new LinearToolError(`Linear answered ${res.status}`);
    // A parse error's message would quote the body: only the fact leaves.
    const body = (await res.json().catch(() => {
      throw new LinearToolError('Linear did not answer JSON');
    })) as { data?: Response; errors?: unknown[] };
    // Linear's error messages may quote the input: only the fact leaves.
    if (body.errors?.length || !body.data) throw new LinearToolError('Linear refused the request');
    return body.data;
  });
}

const INPUTS = {
  mcp_linear_create_comment: z.object({ issue_id: z.string().min(1), body: z.string().min(1) }),
  mcp_linear_update_issue_state: z.object({ issue_id: z.string().min(1), state_id: z.string().min(1) }),
  mcp_linear_search_issues: z.object({ term: z.string().min(1), first: z.number().int().min(1).max(50).optional() }),
} as const;

export async function executeLinearTool(
  name: string,
  input: Record<string, unknown>,
  ctx: PublicationContext,
): Promise<unknown> {
  switch (name) {
    case 'mcp_linear_create_comment': {
      const args = INPUTS[name].parse(input);
      const payload = await linearSdk(ctx).createComment({ issueId: args.issue_id, body: args.body });
      return { success: payload.success, comment_id: payload.commentId ?? null };
    }
    case 'mcp_linear_update_issue_state': {
      const args = INPUTS[name].parse(input);
      const payload = await linearSdk(ctx).updateIssue(args.issue_id, { stateId: args.state_id });
      return { success: payload.success, issue_id: payload.issueId ?? null };
    }
    case 'mcp_linear_search_issues': {
      const args = INPUTS[name].parse(input);
      const found = await linearSdk(ctx).searchIssues(args.term, { first: args.first ?? 20 });
      return {
        issues: found.nodes.map((n) => ({
          id: n.id,
          identifier: n.identifier,
          title: n.title,
          url: n.url,
          priority: n.priority,
        })),
        total: found.totalCount,
      };
    }
    default:
      throw new LinearToolError(`unknown Linear tool ${name}`);
  }
}
