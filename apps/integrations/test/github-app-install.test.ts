/**
 * GitHub App installs: start → the person installs the app at github.com (its Setup URL is our callback) → the
 * callback asks GitHub, authenticated with an RS256 app JWT, whether the installation belongs to the app, and buys an
 * installation access token → tools use it, and a fresh one is bought before it expires. A fake of GitHub's REST API
 * verifies every JWT with the app's public key and refuses what GitHub would.
 */
import { SELF, env } from 'cloudflare:test';
import { exportSPKI, jwtVerify, importSPKI } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { callProviderTool, db, installProvider, seedTenant } from './tenant.js';
import { findInstallation, listDeliveries } from '@gatehouse/integrations-adapters-cf';
import { createCredentialsCipher, hmacSha256Hex } from '@gatehouse/integrations-core';

const APP_ID = '123456';
const SLUG = 'gatehouse-agent';
let privateKeyPkcs1 = '';
let publicKeyPem = '';
const jwtsSeen: { iss: unknown; iat: number; exp: number }[] = [];
let tokenN = 0;
let tokenLifetimeMs = 3_600_000;
const toolAuth: string[] = [];

/** The RSAPrivateKey inside a PKCS#8 DER (the OCTET STRING after version and AlgorithmIdentifier), as PKCS#1 PEM. */
function pkcs1PemFromPkcs8(der: Uint8Array): string {
  let i = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2; // outer SEQUENCE header
  i += 3 + 15; // INTEGER 0, rsaEncryption AlgorithmIdentifier
  expect(der[i]).toBe(0x04);
  i += der[i + 1]! & 0x80 ? 2 + (der[i + 1]! & 0x7f) : 2;
  const b64 = btoa(String.fromCharCode(...der.subarray(i)));
  return `-----BEGIN RSA PRIVATE KEY-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END RSA PRIVATE KEY-----\n`;
}

beforeAll(async () => {
  const pair = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  privateKeyPkcs1 = pkcs1PemFromPkcs8(
    new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer),
  );
  publicKeyPem = await exportSPKI(pair.publicKey);
});

beforeEach(() => {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.hostname !== 'api.github.com') return real(input, init);
    const auth = req.headers.get('authorization') ?? '';
    const installation = /^\/app\/installations\/(\d+)(\/access_tokens)?$/.exec(url.pathname);
    if (installation) {
      // App endpoints take only the app JWT (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app).
      const jwt = /^bearer (.+)$/i.exec(auth)?.[1];
      if (!jwt) return Response.json({ message: 'A JSON web token could not be decoded' }, { status: 401 });
      try {
        const { payload } = await jwtVerify(jwt, await importSPKI(publicKeyPem, 'RS256'), {
          algorithms: ['RS256'],
          issuer: APP_ID,
        });
        jwtsSeen.push({ iss: payload.iss, iat: payload.iat!, exp: payload.exp! });
        if (payload.exp! - payload.iat! > 600)
          return Response.json(
            { message: "'Expiration time' claim ('exp') is too far in the future" },
            { status: 401 },
          );
      } catch {
        return Response.json({ message: 'A JSON web token could not be decoded' }, { status: 401 });
      }
      const id = installation[1];
      if (id !== '77' && id !== '999') return Response.json({ message: 'Not Found' }, { status: 404 });
      if (!installation[2] && req.method === 'GET')
        return Response.json({
          id: Number(id),
          app_id: id === '77' ? Number(APP_ID) : 42,
          app_slug: id === '77' ? SLUG : 'someone-elses-app',
          account: { login: 'octo-org' },
        });
      // Tokens for either installation: only the gateway's ownership check keeps another app's installation out.
      if (installation[2] && req.method === 'POST') {
        tokenN++;
        return Response.json(
          { token: `ghs_install_${tokenN}`, expires_at: new Date(Date.now() + tokenLifetimeMs).toISOString() },
          { status: 201 },
        );
      }
      return Response.json({ message: 'Not Found' }, { status: 404 });
    }
    toolAuth.push(auth);
    if (auth !== `token ghs_install_${tokenN}`) return Response.json({ message: 'Bad credentials' }, { status: 401 });
    if (req.method === 'GET' && /^\/repos\/octo-org\/hello\/issues\/7$/.test(url.pathname))
      return Response.json({ number: 7, title: 'Bug' });
    return Response.json({ message: 'Not Found' }, { status: 404 });
  });
});
afterEach(() => vi.restoreAllMocks());

async function start(slug: string, privateKey = privateKeyPkcs1) {
  const tenant = await seedTenant(slug);
  const { res, body } = await installProvider(tenant.token, 'github', {
    mode: 'oauth',
    credentials: { app_id: APP_ID, app_slug: SLUG, private_key: privateKey, webhook_secret: 'gh-app-webhook-secret' },
  });
  expect(res.status).toBe(201);
  const url = new URL(body.authorization_url);
  return { ...tenant, body, url, state: url.searchParams.get('state')! };
}

const callback = (query: string) => SELF.fetch(`http://integrations.test/install/github/callback?${query}`);

describe('GitHub App install', () => {
  it('sends the person to the app’s installation page and activates with an installation token bought with an app JWT', async () => {
    const s = await start('gh-app');
    expect(s.url.origin + s.url.pathname).toBe(`https://github.com/apps/${SLUG}/installations/new`);
    expect(s.body.installation.status).toBe('pending_authorization');
    expect(JSON.stringify(s.body)).not.toContain('PRIVATE KEY');

    const res = await callback(`installation_id=77&setup_action=install&state=${s.state}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const row = await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id);
    expect(row?.status).toBe('active');
    expect(row!.credentials).not.toContain('PRIVATE KEY');
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    expect(await cipher.decrypt(row!.credentials)).toMatchObject({
      installation_id: '77',
      account: 'octo-org',
      app_login: `${SLUG}[bot]`,
      access_token: `ghs_install_${tokenN}`,
    });
    const jwt = jwtsSeen.at(-1)!;
    expect(jwt.iss).toBe(APP_ID);
    expect(jwt.exp - jwt.iat).toBeLessThanOrEqual(600);
    expect(jwt.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - 59);

    // The state is single-use.
    expect((await callback(`installation_id=77&setup_action=install&state=${s.state}`)).status).toBe(400);
  });

  it('sends a GitHub Enterprise Server install to that server’s install page', async () => {
    const { token } = await seedTenant('gh-app-ghes');
    const { res, body } = await installProvider(token, 'github', {
      mode: 'oauth',
      credentials: { app_id: APP_ID, app_slug: SLUG, private_key: privateKeyPkcs1, webhook_secret: 's' },
      settings: { web_url: 'https://github.example.com/', api_url: 'https://github.example.com/api/v3' },
    });
    expect(res.status).toBe(201);
    const url = new URL(body.authorization_url);
    expect(url.origin + url.pathname).toBe(`https://github.example.com/github-apps/${SLUG}/installations/new`);
    expect(url.searchParams.get('state')).toMatch(/.{20,}/);
  });

  it('refuses an installation of another app, a missing installation_id and a pending approval, leaving it pending', async () => {
    for (const query of [
      'installation_id=999&setup_action=install',
      'installation_id=31337&setup_action=install',
      'setup_action=install',
      'setup_action=request',
    ]) {
      const s = await start(`gh-app-refused-${crypto.randomUUID().slice(0, 6)}`);
      const res = await callback(`${query}&state=${s.state}`);
      expect(res.status, query).toBe(502);
      expect((await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id))?.status).toBe(
        'pending',
      );
    }
  });

  it('refuses a private key that does not sign for the app', async () => {
    const other = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign'],
    )) as CryptoKeyPair;
    const s = await start(
      'gh-app-wrong-key',
      pkcs1PemFromPkcs8(new Uint8Array((await crypto.subtle.exportKey('pkcs8', other.privateKey)) as ArrayBuffer)),
    );
    const res = await callback(`installation_id=77&setup_action=install&state=${s.state}`);
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain('PRIVATE KEY');
  });

  it('buys a new installation token before the current one expires, then calls with it', async () => {
    tokenLifetimeMs = 30_000; // inside the early-renewal window
    const s = await start('gh-app-renew');
    expect((await callback(`installation_id=77&setup_action=install&state=${s.state}`)).status).toBe(200);
    tokenLifetimeMs = 3_600_000;
    const first = tokenN;
    const call = {
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.body.installation.id,
      tool: 'mcp_github_get_issue',
      arguments: { repository: 'octo-org/hello', number: 7 },
      sessionId: null,
    };
    const res = await callProviderTool(call);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(tokenN).toBe(first + 1);
    expect(toolAuth.at(-1)).toBe(`token ghs_install_${tokenN}`);
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    const row = await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id);
    expect(await cipher.decrypt(row!.credentials)).toMatchObject({ access_token: `ghs_install_${tokenN}` });
  });

  it('starts sessions from the app’s webhook when someone mentions @<slug>, for its own installation only', async () => {
    const s = await start('gh-app-webhook');
    expect((await callback(`installation_id=77&setup_action=install&state=${s.state}`)).status).toBe(200);
    const payload = {
      action: 'created',
      issue: {
        number: 7,
        title: 'Bug',
        html_url: 'https://github.com/octo-org/hello/issues/7',
        user: { login: 'octocat' },
      },
      comment: {
        id: 1,
        body: `@${SLUG} can you look?`,
        html_url: 'https://github.com/octo-org/hello/issues/7#issuecomment-1',
        user: { login: 'octocat' },
      },
      repository: { full_name: 'octo-org/hello' },
      sender: { login: 'octocat' },
      installation: { id: 77 },
    };
    const deliver = async (p: unknown, id: string) => {
      const body = JSON.stringify(p);
      return SELF.fetch(s.body.webhook_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issue_comment',
          'x-github-delivery': id,
          'x-hub-signature-256': `sha256=${await hmacSha256Hex('gh-app-webhook-secret', body)}`,
        },
        body,
      });
    };
    expect((await deliver(payload, 'd-own')).status).toBe(202);
    // The app's other installations (another account) post to the same webhook: not this installation's events.
    expect((await deliver({ ...payload, installation: { id: 78 } }, 'd-other')).status).toBe(202);
    const deliveries = await listDeliveries(db, { organizationId: s.org.id }, s.body.installation.id);
    expect(Object.fromEntries(deliveries.map((d) => [d.deliveryId, d.status]))).toEqual({
      'd-own': expect.stringMatching(/received|dispatched/),
      'd-other': 'ignored',
    });
  });
});
