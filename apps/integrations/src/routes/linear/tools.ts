/**
 * Linear tools (mcp_linear_<tool>) through Linear's official SDK (@linear/sdk: its GraphQL operations and models,
 * https://linear.app/developers/sdk) over the GraphQL API (https://linear.app/developers/graphql), authenticated with
 * an OAuth access token (`Bearer`) or a pasted personal API key (https://linear.app/developers/graphql#personal-api-keys).
 * The SDK's own client calls the global fetch; its `LinearSdk` takes a request function instead, so requests go
 * through `ctx.fetch` and the outbound policy like every provider's. Writes declare their publication scope and the
 * issue they write to (the session thread key is the issue's UUID).
 */
import { LinearSdk } from '@linear/sdk';
import {
  CredentialsRefusedError,
  defineProviderTool,
  toolExecutor,
  type PublicationContext,
  type SessionReply,
} from '@gatehouse/integrations-core';
import { z } from 'zod';
import { linearApiRoot } from './install.js';

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
    if (res.status === 401) throw new CredentialsRefusedError('Linear answered 401: the API key or token was revoked');
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

const issueId = z.string().min(1).describe('Issue UUID');

export const linearTools = [
  defineProviderTool({
    name: 'mcp_linear_create_comment',
    description: 'Comment on a Linear issue.',
    input: z.object({ issue_id: issueId, body: z.string().min(1) }),
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    publicationScope: 'comment.create',
    target: (a) => a.issue_id,
    run: async (a, ctx) => {
      const payload = await linearSdk(ctx).createComment({ issueId: a.issue_id, body: a.body });
      return { success: payload.success, comment_id: payload.commentId ?? null };
    },
  }),
  defineProviderTool({
    name: 'mcp_linear_update_issue_state',
    description: 'Move a Linear issue to another workflow state.',
    input: z.object({
      issue_id: issueId,
      state_id: z.string().min(1).describe('Workflow state UUID of the issue’s team'),
    }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    publicationScope: 'issue.update',
    target: (a) => a.issue_id,
    run: async (a, ctx) => {
      const payload = await linearSdk(ctx).updateIssue(a.issue_id, { stateId: a.state_id });
      return { success: payload.success, issue_id: payload.issueId ?? null };
    },
  }),
  defineProviderTool({
    name: 'mcp_linear_search_issues',
    description: 'Search Linear issues by text.',
    input: z.object({ term: z.string().min(1), first: z.number().int().min(1).max(50).optional() }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    run: async (a, ctx) => {
      const found = await linearSdk(ctx).searchIssues(a.term, { first: a.first ?? 20 });
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
    },
  }),
] as const;

/** Runs one of `linearTools` by name (validated first). */
export const executeLinearTool = toolExecutor(linearTools);

/** How an agent answers in a session's thread (a Linear issue id): a comment through mcp_linear_create_comment. */
export function linearSessionReply(threadKey: string): SessionReply {
  return { tool: 'mcp_linear_create_comment', arguments: { issue_id: threadKey }, textArgument: 'body' };
}
