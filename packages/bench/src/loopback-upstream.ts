/**
 * The loopback upstream for tools/call: a Node HTTP server on 127.0.0.1 that answers Jira Cloud's
 * `GET /rest/api/3/issue/{issueIdOrKey}` (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get)
 * with a small fixed issue, at once, and `GET /rest/api/3/myself` (the jira-cloud template's credential check at
 * install: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/). Anything else (another
 * path, a wrong Basic credential) is answered 404/401 and counted, so a run that silently measured error paths is
 * caught. `pnpm loadtest` uses it too.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';

export interface LoopbackUpstream {
  /** `http://127.0.0.1:<port>`: the jira-cloud installation's site_url. */
  url: string;
  /** The `Authorization` header the server accepts (Basic, RFC 7617). */
  authorization: string;
  /** Requests answered with something other than 200. */
  rejected(): number;
  close(): Promise<void>;
}

const ISSUE_PATH = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)$/;

/** Starts the server on an ephemeral port; it accepts Basic `email:apiToken`. */
export async function startLoopbackUpstream(credentials: {
  email: string;
  apiToken: string;
}): Promise<LoopbackUpstream> {
  const authorization = `Basic ${Buffer.from(`${credentials.email}:${credentials.apiToken}`).toString('base64')}`;
  let rejected = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://upstream').pathname;
    const match = req.method === 'GET' ? ISSUE_PATH.exec(path) : null;
    const myself = req.method === 'GET' && path === '/rest/api/3/myself';
    const status = req.headers.authorization !== authorization ? 401 : match || myself ? 200 : 404;
    if (status !== 200) rejected++;
    const body =
      status !== 200
        ? { errorMessages: [status === 401 ? 'You are not authenticated.' : 'Not found'] }
        : match
          ? {
              id: '10001',
              key: match[1],
              fields: {
                summary: 'Login fails',
                status: { name: 'In Progress' },
                issuetype: { name: 'Bug' },
                priority: { name: 'High' },
                assignee: null,
              },
            }
          : { accountId: '5b10ac8d82e05b22cc7d4ef5', emailAddress: credentials.email, displayName: 'Gatehouse Bench' };
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    authorization,
    rejected: () => rejected,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
