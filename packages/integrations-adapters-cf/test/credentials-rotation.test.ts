import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createCredentialsCipher } from '@gatehouse/integrations-core';
import {
  createDb,
  createInstallation,
  createOrganization,
  findVisibleInstallation,
  createWorkspace,
  reencryptCredentials,
} from '../src/index.js';

const db = createDb(env.AUTH_DB);
const k1 = 'MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE';
const k2 = 'MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI';

describe('credentials key rotation', () => {
  it('re-encrypts rows under the new key in bounded batches while old rows stay readable', async () => {
    const org = await createOrganization(db, { slug: 'rotate', name: 'Rotate' });
    const ws = await createWorkspace(db, { organizationId: org.id }, { slug: 'main', name: 'Main' });
    const tenant = { organizationId: org.id, workspaceId: ws.id };
    const oldCipher = createCredentialsCipher(JSON.stringify({ k1 }), 'k1');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const row = await createInstallation(db, tenant, {
        kind: 'template',
        source: 'jira-cloud',
        title: `Jira ${i}`,
        scope: 'global',
        workspaceId: null,
        settings: {},
        credentials: await oldCipher.encrypt({ api_token: `secret-${i}` }),
        createdBy: 'u',
      });
      ids.push(row.id);
    }
    const rotated = createCredentialsCipher(JSON.stringify({ k1, k2 }), 'k2');
    // Before re-encryption the rotated cipher still reads the old rows.
    const before = await findVisibleInstallation(db, tenant, ids[0]!);
    expect(await rotated.decrypt(before!.credentials)).toEqual({ api_token: 'secret-0' });

    expect(await reencryptCredentials(db, rotated, 2)).toEqual({ reencrypted: 2, skipped: 0, undecryptable: 0 });
    expect(await reencryptCredentials(db, rotated, 2)).toEqual({ reencrypted: 1, skipped: 0, undecryptable: 0 });
    expect(await reencryptCredentials(db, rotated, 2)).toEqual({ reencrypted: 0, skipped: 0, undecryptable: 0 });

    const newOnly = createCredentialsCipher(JSON.stringify({ k2 }), 'k2');
    for (const [i, id] of ids.entries()) {
      const row = await findVisibleInstallation(db, tenant, id);
      expect(row!.credentialsKid).toBe('k2');
      expect(row!.credentials).not.toContain(`secret-${i}`);
      expect(await newOnly.decrypt(row!.credentials)).toEqual({ api_token: `secret-${i}` });
    }
  });

  it('counts rows under an unknown key as undecryptable and leaves them untouched', async () => {
    const org = await createOrganization(db, { slug: 'rotate-lost', name: 'Lost' });
    const lost = createCredentialsCipher(JSON.stringify({ k9: k1 }), 'k9');
    const row = await createInstallation(
      db,
      { organizationId: org.id },
      {
        kind: 'template',
        source: 'zendesk',
        title: 'Z',
        scope: 'global',
        workspaceId: null,
        settings: {},
        credentials: await lost.encrypt({ a: 'b' }),
        createdBy: 'u',
      },
    );
    const result = await reencryptCredentials(db, createCredentialsCipher(JSON.stringify({ k2 }), 'k2'), 100);
    expect(result.undecryptable).toBeGreaterThanOrEqual(1);
    const stored = await env.AUTH_DB.prepare('select credentials_kid from installations where id = ?')
      .bind(row.id)
      .first<{ credentials_kid: string }>();
    expect(stored!.credentials_kid).toBe('k9');
  });
});
