/**
 * A local fake of the GitHub REST API (2022-11-28) on 127.0.0.1: issue comments, and, given a GitHub App, the app
 * endpoints of its installation flow. Refuses what GitHub refuses: no or wrong token (401 "Bad credentials"), an app
 * endpoint without a valid RS256 app JWT of that app (401; `exp` more than ten minutes after `iat` included), unknown
 * paths or installations (404), a comment without a body (422). Records every request.
 * https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
 * https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app
 * https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
 */
import { createVerify } from 'node:crypto';
import { sendJson, startHttpFake } from './http-fake.js';

/** A GitHub App the fake knows: its id, slug, public key (SPKI PEM) and the one installation it has. */
export interface FakeGithubApp {
  appId: string;
  slug: string;
  publicKeyPem: string;
  installationId: number;
}

/** Whether `jwt` is an RS256 JWT signed by the app's key, issued by the app, fresh and at most ten minutes long. */
function validAppJwt(jwt: string, app: FakeGithubApp): boolean {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return false;
  const h = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
  const p = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: unknown; iat?: number; exp?: number };
  const now = Math.floor(Date.now() / 1000);
  const signed = createVerify('RSA-SHA256')
    .update(`${header}.${payload}`)
    .verify(app.publicKeyPem, Buffer.from(signature, 'base64url'));
  return (
    signed &&
    h.alg === 'RS256' &&
    String(p.iss) === app.appId &&
    typeof p.iat === 'number' &&
    typeof p.exp === 'number' &&
    p.exp > now &&
    p.exp - p.iat <= 600
  );
}

export interface GithubFake {
  url: string;
  requests: { method: string; path: string; authorization: string | undefined; body: unknown }[];
  close(): Promise<void>;
}

export async function startGithubFake(token: string, app?: FakeGithubApp): Promise<GithubFake> {
  const requests: GithubFake['requests'] = [];
  const tokens = new Set([token]);
  const fake = await startHttpFake((req, raw, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    const send = (status: number, json: unknown) => sendJson(res, status, json);
    const appPath = /^\/app\/installations\/(\d+)(\/access_tokens)?$/.exec(path);
    if (app && appPath) {
      const jwt = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!jwt || !validAppJwt(jwt, app)) return send(401, { message: 'A JSON web token could not be decoded' });
      if (Number(appPath[1]) !== app.installationId) return send(404, { message: 'Not Found' });
      if (req.method === 'GET' && !appPath[2])
        return send(200, {
          id: app.installationId,
          app_id: Number(app.appId),
          app_slug: app.slug,
          account: { login: 'octo-org', type: 'Organization' },
        });
      if (req.method === 'POST' && appPath[2]) {
        const issued = `ghs_${crypto.randomUUID().replace(/-/g, '')}`;
        tokens.add(issued);
        return send(201, { token: issued, expires_at: new Date(Date.now() + 3_600_000).toISOString() });
      }
      return send(404, { message: 'Not Found' });
    }
    // GitHub takes the token as `Bearer` or `token` (Octokit's scheme for personal and installation tokens).
    const presented = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!presented || !tokens.has(presented))
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    // The install's identity check (https://docs.github.com/en/rest/users/users#get-the-authenticated-user).
    if (req.method === 'GET' && path === '/user') return send(200, { login: 'gatehouse-bot', id: 1, type: 'User' });
    const comments = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (req.method === 'POST' && comments) {
      if (typeof (body as { body?: unknown })?.body !== 'string') return send(422, { message: 'Validation Failed' });
      return send(201, {
        id: 1_234_567,
        html_url: `https://github.com/${comments[1]}/${comments[2]}/issues/${comments[3]}#issuecomment-1234567`,
        body: (body as { body: string }).body,
      });
    }
    return send(404, { message: 'Not Found' });
  });
  return { ...fake, requests };
}
