/**
 * The loopback GitHub for the provider tools/call row: a Node HTTP server on 127.0.0.1 that answers GitHub REST's
 * `GET /repos/{owner}/{repo}/issues/{issue_number}` (https://docs.github.com/en/rest/issues/issues#get-an-issue,
 * API version 2022-11-28) with a small fixed issue of the requested number, at once. Anything else (another method or
 * path, no or another token) is answered as GitHub does (404 "Not Found", 401 "Bad credentials") and counted, so a
 * run that silently measured error paths is caught. The GitHub installation's `api_url` setting points here.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';

/** The running fake. */
export interface LoopbackGithub {
  /** `http://127.0.0.1:<port>`: the GitHub installation's api_url. */
  url: string;
  /** Requests answered with something other than 200. */
  rejected(): number;
  close(): Promise<void>;
}

/** The issue every GET answers with (its `number` is the requested one). */
export const LOOPBACK_ISSUE_TITLE = 'Login fails on Safari';

const ISSUE_PATH = /^\/repos\/([\w.-]+)\/([\w.-]+)\/issues\/(\d+)$/;

/** A GitHub REST issue (the fields agents read; GitHub sends more), as https://docs.github.com/en/rest/issues shows. */
function issue(owner: string, repo: string, number: number) {
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  return {
    id: 1_296_269_000 + number,
    node_id: 'I_kwDOBench',
    url: `${api}/issues/${number}`,
    repository_url: api,
    html_url: `https://github.com/${owner}/${repo}/issues/${number}`,
    number,
    state: 'open',
    title: LOOPBACK_ISSUE_TITLE,
    body: 'Signing in with a passkey on Safari 18 returns to the login page.',
    user: { login: 'octocat', id: 1, type: 'User' },
    labels: [{ id: 208_045_946, name: 'bug', color: 'f29513', default: true }],
    assignee: null,
    assignees: [],
    locked: false,
    comments: 2,
    created_at: '2026-11-20T09:12:00Z',
    updated_at: '2026-11-21T16:40:00Z',
    closed_at: null,
    author_association: 'MEMBER',
  };
}

/** Starts the server on an ephemeral port; it accepts `token` as `Authorization: token …` or `Bearer …`. */
export async function startLoopbackGithub(token: string): Promise<LoopbackGithub> {
  let rejected = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://github').pathname;
    const match = req.method === 'GET' ? ISSUE_PATH.exec(path) : null;
    // GitHub takes a token as `token` (Octokit's scheme for personal and installation tokens) or `Bearer`.
    const presented = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const status = presented !== token ? 401 : match ? 200 : 404;
    if (status !== 200) rejected++;
    const body =
      status === 200 && match
        ? issue(match[1]!, match[2]!, Number(match[3]))
        : {
            message: status === 401 ? 'Bad credentials' : 'Not Found',
            documentation_url: 'https://docs.github.com/rest',
          };
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    rejected: () => rejected,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
