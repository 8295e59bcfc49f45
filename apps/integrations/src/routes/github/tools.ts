/**
 * GitHub tools (mcp_github_<tool>), one capability each, on GitHub's REST API (version 2022-11-28) through the official
 * client, @octokit/core (fetch-based, runs on Workers), with the installation's token. Writes declare the publication
 * scope they need and the thread they write to.
 * https://docs.github.com/en/rest/issues/issues  https://docs.github.com/en/rest/issues/comments
 * https://docs.github.com/en/rest/pulls/pulls  https://docs.github.com/en/rest/pulls/reviews
 */
import { Octokit } from '@octokit/core';
import {
  CredentialsRefusedError,
  defineProviderTool,
  toolExecutor,
  type PublicationContext,
  type SessionReply,
} from '@gatehouse/integrations-core';
import { z } from 'zod';
import { githubApiRoot } from './install.js';

export class GithubToolError extends Error {
  override name = 'GithubToolError';
}

const repository = z
  .string()
  .regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name')
  .describe('owner/name, e.g. octo-org/hello-world');
const number = z.number().int().min(1);
/** Issues and pull requests share numbers and the thread key `owner/name#N` (the session thread key). */
const thread = (args: { repository: string; number: number }) => `${args.repository}#${args.number}`;

function split(repository: string) {
  const [owner, name] = repository.split('/') as [string, string];
  return { owner, repo: name };
}

/** Octokit with the installation's token on the executor's fetch; one request, its data or a status-only error. */
async function github<T>(ctx: PublicationContext, run: (octokit: Octokit) => Promise<{ data: T }>): Promise<T> {
  // A GitHub App installation's access token (renewed before each call by the worker), or a pasted personal token.
  const token = ctx.installation.credentials.access_token ?? ctx.installation.credentials.token;
  if (!token) throw new GithubToolError('this GitHub installation has no token; reinstall with a token to use tools');
  const octokit = new Octokit({
    auth: token,
    baseUrl: githubApiRoot(ctx.installation.settings),
    userAgent: 'gatehouse',
    request: { fetch: ctx.fetch },
  });
  try {
    return (await run(octokit)).data;
  } catch (err) {
    // Octokit's RequestError carries the status; its message may quote GitHub's body, so only the status leaves.
    const status = (err as { status?: number }).status;
    if (status === 401) throw new CredentialsRefusedError('GitHub answered 401: the token was revoked or has expired');
    throw new GithubToolError(status ? `GitHub answered ${status}` : 'GitHub could not be reached');
  }
}

export const githubTools = [
  defineProviderTool({
    name: 'mcp_github_get_issue',
    description: 'Get an issue or pull request by repository and number.',
    input: z.object({ repository, number }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    run: (a, ctx) =>
      github(ctx, (o) =>
        o.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
          ...split(a.repository),
          issue_number: a.number,
        }),
      ),
  }),
  defineProviderTool({
    name: 'mcp_github_comment_on_issue',
    description: 'Comment on an issue or pull request.',
    input: z.object({ repository, number, body: z.string().min(1) }),
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    publicationScope: 'comment.create',
    target: thread,
    run: (a, ctx) =>
      github(ctx, (o) =>
        o.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...split(a.repository),
          issue_number: a.number,
          body: a.body,
        }),
      ),
  }),
  defineProviderTool({
    name: 'mcp_github_create_issue',
    description: 'Open an issue in a repository.',
    input: z.object({
      repository,
      title: z.string().min(1),
      body: z.string().optional(),
      labels: z.array(z.string()).optional(),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    publicationScope: 'issue.create',
    // A new issue has no thread yet: only workspace- or user-wide publications can grant it.
    target: () => null,
    run: (a, ctx) =>
      github(ctx, (o) =>
        o.request('POST /repos/{owner}/{repo}/issues', {
          ...split(a.repository),
          title: a.title,
          body: a.body,
          labels: a.labels,
        }),
      ),
  }),
  defineProviderTool({
    name: 'mcp_github_get_pull_request',
    description: 'Get a pull request: state, branches, mergeability.',
    input: z.object({ repository, number }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    run: (a, ctx) =>
      github(ctx, (o) =>
        o.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...split(a.repository), pull_number: a.number }),
      ),
  }),
  defineProviderTool({
    name: 'mcp_github_list_pull_requests',
    description: 'List a repository’s pull requests (open by default), newest first.',
    input: z.object({
      repository,
      state: z.enum(['open', 'closed', 'all']).optional(),
      per_page: z.number().int().min(1).max(100).optional(),
    }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    run: (a, ctx) =>
      github(ctx, (o) =>
        o.request('GET /repos/{owner}/{repo}/pulls', {
          ...split(a.repository),
          state: a.state ?? 'open',
          per_page: a.per_page ?? 30,
        }),
      ),
  }),
  defineProviderTool({
    name: 'mcp_github_create_review',
    description: 'Review a pull request: comment, approve or request changes.',
    input: z.object({
      repository,
      number,
      event: z.enum(['COMMENT', 'APPROVE', 'REQUEST_CHANGES']),
      body: z.string().optional(),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    publicationScope: 'review.create',
    target: thread,
    run: (a, ctx) =>
      github(ctx, (o) =>
        o.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
          ...split(a.repository),
          pull_number: a.number,
          event: a.event,
          body: a.body,
        }),
      ),
  }),
] as const;

/** Runs one of `githubTools` by name (validated first). */
export const executeGithubTool = toolExecutor(githubTools);

/**
 * How an agent answers in a session's thread (`owner/repo#N`): a comment through mcp_github_comment_on_issue, so the
 * session's publication (comment.create on its own thread) decides, as for any other write.
 */
export function githubSessionReply(threadKey: string): SessionReply {
  const hash = threadKey.lastIndexOf('#');
  return {
    tool: 'mcp_github_comment_on_issue',
    arguments: { repository: threadKey.slice(0, hash), number: Number(threadKey.slice(hash + 1)) },
    textArgument: 'body',
  };
}
