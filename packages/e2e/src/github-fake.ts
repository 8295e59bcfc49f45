/**
 * A local fake of the GitHub REST API (2022-11-28) for the two endpoints the GitHub provider's tools call, on
 * 127.0.0.1. Refuses what GitHub refuses: no or wrong token (401 "Bad credentials"), unknown paths (404), a comment
 * without a body (422). Records every request.
 * https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
 */
import { sendJson, startHttpFake } from './http-fake.js';

export interface GithubFake {
  url: string;
  requests: { method: string; path: string; authorization: string | undefined; body: unknown }[];
  close(): Promise<void>;
}

export async function startGithubFake(token: string): Promise<GithubFake> {
  const requests: GithubFake['requests'] = [];
  const fake = await startHttpFake((req, raw, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    const send = (status: number, json: unknown) => sendJson(res, status, json);
    // GitHub takes the token as `Bearer` or `token` (Octokit's scheme for personal and installation tokens).
    if (req.headers.authorization !== `Bearer ${token}` && req.headers.authorization !== `token ${token}`) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const comments = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (req.method === 'POST' && comments) {
      if (typeof (body as { body?: unknown })?.body !== 'string') return send(422, { message: 'Validation Failed' });
      return send(201, { id: 1_234_567, html_url: `https://github.com/${comments[1]}/${comments[2]}/issues/${comments[3]}#issuecomment-1234567`, body: (body as { body: string }).body });
    }
    return send(404, { message: 'Not Found' });
  });
  return { ...fake, requests };
}
