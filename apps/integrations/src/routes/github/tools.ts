/**
 * GitHub tools (mcp_github_<tool>), REST API 2022-11-28.
 * https://docs.github.com/en/rest/issues/issues  https://docs.github.com/en/rest/issues/comments
 */
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';
import { z } from 'zod';

/** GitHub's REST API; an installation may name another (GitHub Enterprise Server) in its `api_url` setting. */
const DEFAULT_API = 'https://api.github.com';

export const githubTools = [
  {
    name: 'mcp_github_get_issue',
    description: 'Get an issue or pull request by repository and number.',
    inputSchema: {
      type: 'object',
      properties: { repository: { type: 'string', description: 'owner/name' }, number: { type: 'integer', minimum: 1 } },
      required: ['repository', 'number'],
    },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'mcp_github_comment_on_issue',
    description: 'Comment on an issue or pull request.',
    inputSchema: {
      type: 'object',
      properties: { repository: { type: 'string', description: 'owner/name' }, number: { type: 'integer', minimum: 1 }, body: { type: 'string', minLength: 1 } },
      required: ['repository', 'number', 'body'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'comment.create',
    target: (input: Record<string, unknown>) => (typeof input.repository === 'string' && typeof input.number === 'number' ? `${input.repository}#${input.number}` : null),
  },
] as const satisfies readonly ProviderTool[];

const target = z.object({ repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/), number: z.number().int().positive() });

export class GithubToolError extends Error {
  override name = 'GithubToolError';
}

async function github(ctx: PublicationContext, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = ctx.installation.credentials.token;
  if (!token) throw new GithubToolError('this GitHub installation has no token; reinstall with a token to use tools');
  const api = typeof ctx.installation.settings.api_url === 'string' ? ctx.installation.settings.api_url.replace(/\/+$/, '') : DEFAULT_API;
  const res = await ctx.fetch(`${api}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'gatehouse',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new GithubToolError(`GitHub answered ${res.status}`);
  return res.json();
}

export async function executeGithubTool(name: string, input: Record<string, unknown>, ctx: PublicationContext): Promise<unknown> {
  switch (name) {
    case 'mcp_github_get_issue': {
      const { repository, number } = target.parse(input);
      return github(ctx, 'GET', `/repos/${repository}/issues/${number}`);
    }
    case 'mcp_github_comment_on_issue': {
      const { repository, number, body } = target.extend({ body: z.string().min(1) }).parse(input);
      return github(ctx, 'POST', `/repos/${repository}/issues/${number}/comments`, { body });
    }
    default:
      throw new GithubToolError(`unknown GitHub tool ${name}`);
  }
}
