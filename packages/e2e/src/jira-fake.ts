/**
 * A local fake of the Jira Cloud REST API v3 for the paths the catalog template calls, on 127.0.0.1. It answers the
 * way Jira does (https://developer.atlassian.com/cloud/jira/platform/rest/v3/) and refuses what Jira would refuse:
 * a missing or wrong Basic credential (401), an unknown path (404), a body without the required fields (400).
 * Every request is recorded so tests can assert method, path, auth header and body.
 */
import { sendJson, startHttpFake } from './http-fake.js';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

export interface JiraFake {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startJiraFake(opts: { email: string; apiToken: string; site: string }): Promise<JiraFake> {
  const requests: RecordedRequest[] = [];
  const expectedAuth = `Basic ${Buffer.from(`${opts.email}:${opts.apiToken}`).toString('base64')}`;
  let nextId = 10_000;
  const fake = await startHttpFake((req, raw, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body,
    });
    const send = (status: number, json: unknown) => sendJson(res, status, json);
    if (req.headers.authorization !== expectedAuth) return send(401, { errorMessages: ['You are not authenticated.'] });
    // https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/#api-rest-api-3-myself-get
    if (req.method === 'GET' && url.pathname === '/rest/api/3/myself')
      return send(200, {
        accountId: '5b10a2844c20165700ede21g',
        emailAddress: opts.email,
        displayName: 'Fake User',
        active: true,
      });
    if (req.method === 'POST' && url.pathname === '/rest/api/3/issue') {
      const fields = (
        body as { fields?: { project?: { key?: string }; summary?: string; issuetype?: { name?: string } } }
      )?.fields;
      if (!fields?.project?.key || !fields.summary || !fields.issuetype?.name)
        return send(400, { errorMessages: [], errors: { summary: 'You must specify a summary of the issue.' } });
      const id = String(nextId++);
      return send(201, { id, key: `${fields.project.key}-${id}`, self: `${opts.site}/rest/api/3/issue/${id}` });
    }
    const get = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && get)
      return send(200, {
        id: '10001',
        key: get[1],
        fields: {
          summary: 'Login fails',
          status: { name: 'In Progress' },
          issuetype: { name: 'Bug' },
          priority: { name: 'High' },
          assignee: null,
        },
      });
    return send(404, { errorMessages: ['Not found'] });
  });
  return { ...fake, requests };
}
