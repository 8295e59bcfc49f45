/**
 * Template tools act with the installation's own credentials and write nothing on a session's behalf, so the custom
 * provider grants no publication scopes, and its sessions start with none.
 */
import type { PublicationScope } from '@gatehouse/integrations-core';

export const customPublicationScopes = [] as const satisfies readonly PublicationScope[];

export const customSessionDefaults = [] as const;
