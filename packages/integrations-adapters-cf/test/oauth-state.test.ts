import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { OAUTH_STATE_TTL_MS, consumeOAuthState, createDb, createOAuthState, createOrganization } from '../src/index.js';

const db = createDb(env.AUTH_DB);

describe('oauth_state', () => {
  it('is single-use, expires, and stores only a hash of the state', async () => {
    const org = await createOrganization(db, { slug: 'state', name: 'State' });
    const tenant = { organizationId: org.id, workspaceId: null };
    const { state } = await createOAuthState(db, tenant, { provider: 'template:x', userId: 'u', payload: 'jwe' });
    const stored = await env.AUTH_DB.prepare('select * from oauth_state where organization_id = ?')
      .bind(org.id)
      .first();
    expect(JSON.stringify(stored)).not.toContain(state);
    expect(await consumeOAuthState(db, state)).toMatchObject({ organizationId: org.id, payload: 'jwe' });
    expect(await consumeOAuthState(db, state)).toBeNull();

    const old = await createOAuthState(
      db,
      tenant,
      { provider: 'template:x', userId: 'u', payload: 'jwe' },
      Date.now() - OAUTH_STATE_TTL_MS - 1,
    );
    expect(await consumeOAuthState(db, old.state)).toBeNull();
    expect(await consumeOAuthState(db, 'never-issued')).toBeNull();
  });
});
