/** What an agent session may post to Slack. https://api.slack.com/scopes/chat:write */
import type { PublicationScope } from '@gatehouse/integrations-core';

export const slackPublicationScopes = [
  { name: 'chat.write', description: 'Post messages and replies', granularities: ['workspace', 'issue', 'user'] },
  { name: 'reactions.write', description: 'Add reactions', granularities: ['workspace', 'issue'] },
] as const satisfies readonly PublicationScope[];

/** A session started by a Slack webhook may do this on its own thread. */
export const slackSessionDefaults = ['chat.write'] as const;
