/**
 * What an agent session may write back to Linear. https://linear.app/developers/graphql
 */
import type { PublicationScope } from '@gatehouse/integrations-core';

export const linearPublicationScopes = [
  { name: 'comment.create', description: 'Comment on issues', granularities: ['workspace', 'issue', 'user'] },
  { name: 'issue.update', description: 'Change an issue’s state', granularities: ['workspace', 'issue'] },
] as const satisfies readonly PublicationScope[];

/** A session started by a Linear webhook may do this on its own thread. */
export const linearSessionDefaults = ['comment.create'] as const;
