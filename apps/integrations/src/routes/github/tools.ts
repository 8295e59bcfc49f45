/**
 * GitHub tools (mcp_github_<tool>), one capability each, on GitHub's REST API (version 2022-11-28) through the official
 * client, @octokit/core (fetch-based, runs on Workers), with the installation's token. Writes declare the publication
 * scope they need and the thread they write to.
 * https://docs.github.com/en/rest/issues/issues  https://docs.github.com/en/rest/issues/comments
 * https://docs.github.com/en/rest/pulls/pulls  https://docs.github.com/en/rest/pulls/reviews
 */
import { Octokit } from '@octokit/core';
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { githubApiRoot } from './install.js';

const repository = { type: 'string', description: 'owner/name, e.g. octo-org/hello-world' } as const;
const number = { type: 'integer', minimum: 1 } as const;
const thread = (input: Record<string, unknown>) =>
  typeof input.repository === 'string' && typeof input.number === 'number'
    ? `${input.repository}#${input.number}`
    : null;

export const githubTools = [
  {
    name: 'mcp_github_get_issue',
    description: 'Get an issue or pull request by repository and number.',
    inputSchema: { type: 'object', properties: { repository, number }, required: ['repository', 'number'] },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'mcp_github_comment_on_issue',
    description: 'Comment on an issue or pull request.',
    inputSchema: {
      type: 'object',
      properties: { repository, number, body: { type: 'string', minLength: 1 } },
      required: ['repository', 'number', 'body'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'comment.create',
    target: thread,
  },
  {
    name: 'mcp_github_create_issue',
    description: 'Open an issue in a repository.',
    inputSchema: {
      type: 'object',
      properties: {
        repository,
        title: { type: 'string', minLength: 1 },
        body: { type: 'string' },
        labels: { type: 'array', items: { type: 'string' } },
      },
      required: ['repository', 'title'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'issue.create',
    // A new issue has no thread yet: only workspace- or user-wide publications can grant it.
    target: () => null,
  },
  {
    name: 'mcp_github_get_pull_request',
    description: 'Get a pull request: state, branches, mergeability.',
    inputSchema: { type: 'object', properties: { repository, number }, required: ['repository', 'number'] },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'mcp_github_list_pull_requests',
    description: 'List a repository’s pull requests (open by default), newest first.',
    inputSchema: {
      type: 'object',
      properties: {
        repository,
        state: { type: 'string', enum: ['open', 'closed', 'all'] },
        per_page: { type: 'integer', minimum: 1, maximum: 100 },
      },
      required: ['repository'],
    },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'mcp_github_create_review',
    description: 'Review a pull request: comment, approve or request changes.',
    inputSchema: {
      type: 'object',
      properties: {
        repository,
        number,
        event: { type: 'string', enum: ['COMMENT', 'APPROVE', 'REQUEST_CHANGES'] },
        body: { type: 'string' },
      },
      required: ['repository', 'number', 'event'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'review.create',
    target: thread,
  },
] as const satisfies readonly ProviderTool[];

export class GithubToolError extends Error {
  override name = 'GithubToolError';
}

const repo = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name');
const schemas = {
  mcp_github_get_issue: z.object({ repository: repo, number: z.number().int().positive() }),
  mcp_github_comment_on_issue: z.object({
    repository: repo,
    number: z.number().int().positive(),
    body: z.string().min(1),
  }),
  mcp_github_create_issue: z.object({
    repository: repo,
    title: z.string().min(1),
    body: z.string().optional(),
    labels: z.array(z.string()).optional(),
  }),
  mcp_github_get_pull_request: z.object({ repository: repo, number: z.number().int().positive() }),
  mcp_github_list_pull_requests: z.object({
    repository: repo,
    state: z.enum(['open', 'closed', 'all']).optional(),
    per_page: z.number().int().min(1).max(100).optional(),
  }),
  mcp_github_create_review: z.object({
    repository: repo,
    number: z.number().int().positive(),
    event: z.enum(['COMMENT', 'APPROVE', 'REQUEST_CHANGES']),
    body: z.string().optional(),
  }),
};

function split(repository: string) {
  const [owner, name] = repository.split('/') as [string, string];
  return { owner, repo: name };
}

export async function executeGithubTool(
  name: string,
  input: Record<string, unknown>,
  ctx: PublicationContext,
): Promise<unknown> {
  // A GitHub App installation's access token (renewed before each call by the worker), or a pasted personal token.
  const token = ctx.installation.credentials.access_token ?? ctx.installation.credentials.token;
  if (!token) throw new GithubToolError('this GitHub installation has no token; reinstall with a token to use tools');
  const octokit = new Octokit({
    auth: token,
    baseUrl: githubApiRoot(ctx.installation.settings),
    userAgent: 'gatehouse',
    request: { fetch: ctx.fetch },
  });
  const call = async <T>(run: () => Promise<{ data: T }>) => {
    try {
      return (await run()).data;
    } catch (err) {
      // Octokit's RequestError carries the status; its message may quote GitHub's body, so only the status leaves.
      const status = (err as { status?: number }).status;
      throw new GithubToolError(status ? `GitHub answered ${status}` : 'GitHub could not be reached');
    }
  };
  switch (name) {
    case 'mcp_github_get_issue': {
      const a = schemas[name].parse(input);
      return call(() =>
        octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
          ...split(a.repository),
          issue_number: a.number,
        }),
      );
    }
    case 'mcp_github_comment_on_issue': {
      const a = schemas[name].parse(input);
      return call(() =>
        octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...split(a.repository),
          issue_number: a.number,
          body: a.body,
        }),
      );
    }
    case 'mcp_github_create_issue': {
      const a = schemas[name].parse(input);
      return call(() =>
        octokit.request('POST /repos/{owner}/{repo}/issues', {
          ...split(a.repository),
          title: a.title,
          body: a.body,
          labels: a.labels,
        }),
      );
    }
    case 'mcp_github_get_pull_request': {
      const a = schemas[name].parse(input);
      return call(() =>
        octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
          ...split(a.repository),
          pull_number: a.number,
        }),
      );
    }
    case 'mcp_github_list_pull_requests': {
      const a = schemas[name].parse(input);
      return call(() =>
        octokit.request('GET /repos/{owner}/{repo}/pulls', {
          ...split(a.repository),
          state: a.state ?? 'open',
          per_page: a.per_page ?? 30,
        }),
      );
    }
    case 'mcp_github_create_review': {
      const a = schemas[name].parse(input);
      return call(() =>
        octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
          ...split(a.repository),
          pull_number: a.number,
          event: a.event,
          body: a.body,
        }),
      );
    }
    default:
      throw new GithubToolError(`unknown GitHub tool ${name}`);
  }
}
