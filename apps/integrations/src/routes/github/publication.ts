/**
 * What an agent session may write back to GitHub, and at which granularity.
 * Endpoint permissions: https://docs.github.com/en/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens
 */
import type { PublicationScope } from '@gatehouse/integrations-core';

export const githubPublicationScopes = [
  {
    name: 'comment.create',
    description: 'Comment on issues and pull requests',
    granularities: ['workspace', 'issue', 'user'],
  },
  { name: 'issue.create', description: 'Open issues', granularities: ['workspace', 'user'] },
  { name: 'review.create', description: 'Review pull requests', granularities: ['workspace', 'issue', 'user'] },
] as const satisfies readonly PublicationScope[];

/** A session started by a Github webhook may do this on its own thread. */
export const githubSessionDefaults = ['comment.create'] as const;
