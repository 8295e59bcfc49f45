/**
 * Jira Cloud issues, REST API v3, with an Atlassian account e-mail and API token.
 * API reference: https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/
 * Auth (Basic, e-mail + API token): https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
 * Rich text fields use the Atlassian Document Format:
 * https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
 */
import type { IntegrationTemplateInput } from '../template-schema.js';

/** JMESPath building an ADF document with one paragraph from a plain-text expression. */
const adf = (text: string) =>
  `{type: 'doc', version: \`1\`, content: [{type: 'paragraph', content: [{type: 'text', text: ${text}}]}]}`;
const issueView =
  '{key: key, summary: fields.summary, status: fields.status.name, type: fields.issuetype.name, priority: fields.priority.name, assignee: fields.assignee.displayName}';

export const jiraCloudTemplate = {
  slug: 'jira-cloud',
  name: 'Jira Cloud',
  description: 'Jira Cloud issues: create, read, search with JQL and comment.',
  docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/',
  baseUrl: '{+settings.site_url}',
  // The vendor's own hosts: a site URL elsewhere would receive the credentials (upstream-hosts.ts).
  upstreamHosts: ['*.atlassian.net', '*.jira.com'],
  auth: { type: 'basic', username: 'email', password: 'api_token' },
  credentials: [
    { name: 'email', description: 'Atlassian account e-mail', secret: false },
    {
      name: 'api_token',
      description: 'API token from id.atlassian.com/manage-profile/security/api-tokens',
      secret: true,
    },
  ],
  settings: [
    {
      name: 'site_url',
      description: 'Jira site URL, e.g. https://your-domain.atlassian.net',
      pattern: '^https?://\\S+$',
      example: 'https://your-domain.atlassian.net',
    },
    {
      name: 'project_key',
      description: 'Default project key for new issues, e.g. PROJ',
      required: false,
      pattern: '^[A-Z][A-Z0-9_]+$',
      example: 'PROJ',
    },
  ],
  // Who am I: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/#api-rest-api-3-myself-get
  validation: { method: 'GET', path: '/rest/api/3/myself' },
  tools: [
    {
      name: 'create_issue',
      title: 'Create issue',
      description:
        'Create a Jira issue with a summary, optional description, type (default Task) and project (default from settings).',
      docsUrl:
        'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post',
      method: 'POST',
      path: '/rest/api/3/issue',
      body: `{fields: {project: {key: args.project_key || settings.project_key}, summary: args.summary, issuetype: {name: args.issue_type || 'Task'}, description: args.description && ${adf('args.description')}}}`,
      inputSchema: {
        type: 'object',
        properties: {
          summary: { type: 'string', minLength: 1, maxLength: 255 },
          description: { type: 'string', description: 'Plain text' },
          issue_type: { type: 'string', description: 'e.g. Task, Bug, Story' },
          project_key: { type: 'string', description: 'Overrides the installation default' },
        },
        required: ['summary'],
      },
      response: '{id: id, key: key, url: self}',
    },
    {
      name: 'get_issue',
      title: 'Get issue',
      description: 'Get one issue by key: summary, status, type, priority and assignee.',
      docsUrl:
        'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get',
      method: 'GET',
      path: '/rest/api/3/issue/{args.issue_key}',
      query: { fields: "'summary,status,issuetype,priority,assignee'" },
      inputSchema: {
        type: 'object',
        properties: { issue_key: { type: 'string', description: 'e.g. PROJ-123' } },
        required: ['issue_key'],
      },
      response: issueView,
      readOnly: true,
    },
    {
      name: 'search_issues',
      title: 'Search issues (JQL)',
      description:
        'Search issues with JQL, e.g. "project = PROJ AND status = \\"In Progress\\" ORDER BY updated DESC".',
      docsUrl:
        'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get',
      method: 'GET',
      path: '/rest/api/3/search/jql',
      query: {
        jql: 'args.jql',
        maxResults: 'args.max_results',
        fields: "'summary,status,issuetype,priority,assignee'",
      },
      inputSchema: {
        type: 'object',
        properties: {
          jql: { type: 'string', minLength: 1 },
          max_results: { type: 'integer', minimum: 1, maximum: 100 },
        },
        required: ['jql'],
      },
      response: `{issues: issues[].${issueView}, next_page_token: nextPageToken}`,
      readOnly: true,
    },
    {
      name: 'add_comment',
      title: 'Comment on issue',
      description: 'Add a plain-text comment to an issue.',
      docsUrl:
        'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-post',
      method: 'POST',
      path: '/rest/api/3/issue/{args.issue_key}/comment',
      body: `{body: ${adf('args.text')}}`,
      inputSchema: {
        type: 'object',
        properties: {
          issue_key: { type: 'string', description: 'e.g. PROJ-123' },
          text: { type: 'string', minLength: 1 },
        },
        required: ['issue_key', 'text'],
      },
      response: '{id: id, created: created}',
    },
  ],
} satisfies IntegrationTemplateInput;
