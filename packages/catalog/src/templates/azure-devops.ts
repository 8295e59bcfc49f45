/**
 * Azure DevOps Boards work items, REST API 7.1, with a personal access token.
 * API reference: https://learn.microsoft.com/en-us/rest/api/azure/devops/wit/?view=azure-devops-rest-7.1
 * Auth (Basic, empty user name, PAT as password):
 * https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate
 */
import type { IntegrationTemplateInput } from '../template-schema.js';

const apiVersion = { 'api-version': "'7.1'" };
const workItemView =
  '{id: id, rev: rev, type: fields."System.WorkItemType", title: fields."System.Title", state: fields."System.State", assigned_to: fields."System.AssignedTo".displayName, url: _links.html.href}';

export const azureDevOpsTemplate = {
  slug: 'azure-devops',
  name: 'Azure DevOps',
  description: 'Azure Boards work items: create, read, update, comment and query with WIQL.',
  docsUrl: 'https://learn.microsoft.com/en-us/rest/api/azure/devops/wit/?view=azure-devops-rest-7.1',
  baseUrl: '{+settings.organization_url}',
  // The vendor's own hosts: a site URL elsewhere would receive the credentials (upstream-hosts.ts).
  upstreamHosts: ['dev.azure.com', '*.visualstudio.com'],
  auth: { type: 'basic', username: null, password: 'personal_access_token' },
  credentials: [
    {
      name: 'personal_access_token',
      description: 'Personal access token with the Work Items (Read & write) scope',
      secret: true,
    },
  ],
  settings: [
    {
      name: 'organization_url',
      description: 'Organization URL, e.g. https://dev.azure.com/contoso',
      pattern: '^https?://\\S+$',
      example: 'https://dev.azure.com/contoso',
    },
    { name: 'project', description: 'Project name, e.g. Fabrikam', example: 'Fabrikam' },
  ],
  // https://learn.microsoft.com/en-us/rest/api/azure/devops/core/projects/get?view=azure-devops-rest-7.1
  validation: { method: 'GET', path: '/_apis/projects/{settings.project}?api-version=7.1' },
  tools: [
    {
      name: 'get_work_item',
      title: 'Get work item',
      description: 'Get one work item by id: type, title, state and assignee.',
      docsUrl:
        'https://learn.microsoft.com/en-us/rest/api/azure/devops/wit/work-items/get-work-item?view=azure-devops-rest-7.1',
      method: 'GET',
      path: '/{settings.project}/_apis/wit/workitems/{args.id}',
      query: apiVersion,
      inputSchema: {
        type: 'object',
        properties: { id: { type: 'integer', minimum: 1, description: 'Work item id' } },
        required: ['id'],
      },
      response: workItemView,
      readOnly: true,
    },
    {
      name: 'create_work_item',
      title: 'Create work item',
      description: 'Create a work item (Task, Bug, User Story…) with a title and optional description and assignee.',
      docsUrl:
        'https://learn.microsoft.com/en-us/rest/api/azure/devops/wit/work-items/create?view=azure-devops-rest-7.1',
      method: 'POST',
      // The work item type is part of the path, prefixed with a literal `$` (e.g. `/$Task`).
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `$` then an RFC 6570 expression, not a JS template.
      path: '/{settings.project}/_apis/wit/workitems/${args.type}',
      query: apiVersion,
      contentType: 'application/json-patch+json',
      body: "[{op: 'add', path: '/fields/System.Title', value: args.title}, args.description && {op: 'add', path: '/fields/System.Description', value: args.description}, args.assigned_to && {op: 'add', path: '/fields/System.AssignedTo', value: args.assigned_to}] | [?@ != `null`]",
      inputSchema: {
        type: 'object',
        properties: {
          type: { type: 'string', description: 'Work item type, e.g. Task, Bug, User Story' },
          title: { type: 'string', minLength: 1 },
          description: { type: 'string', description: 'HTML or plain text' },
          assigned_to: { type: 'string', description: 'User e-mail or display name' },
        },
        required: ['type', 'title'],
      },
      response: workItemView,
    },
    {
      name: 'update_work_item',
      title: 'Update work item',
      description: 'Change the state, title or assignee of a work item.',
      docsUrl:
        'https://learn.microsoft.com/en-us/rest/api/azure/devops/wit/work-items/update?view=azure-devops-rest-7.1',
      method: 'PATCH',
      path: '/{settings.project}/_apis/wit/workitems/{args.id}',
      query: apiVersion,
      contentType: 'application/json-patch+json',
      body: "[args.state && {op: 'add', path: '/fields/System.State', value: args.state}, args.title && {op: 'add', path: '/fields/System.Title', value: args.title}, args.assigned_to && {op: 'add', path: '/fields/System.AssignedTo', value: args.assigned_to}] | [?@ != `null`]",
      inputSchema: {
        type: 'object',
        properties: {
          id: { type: 'integer', minimum: 1 },
          state: { type: 'string', description: 'e.g. Active, Resolved, Closed' },
          title: { type: 'string', minLength: 1 },
          assigned_to: { type: 'string' },
        },
        required: ['id'],
        anyOf: [{ required: ['state'] }, { required: ['title'] }, { required: ['assigned_to'] }],
      },
      response: workItemView,
    },
    {
      name: 'add_work_item_comment',
      title: 'Comment on work item',
      description: 'Add a comment to a work item.',
      docsUrl:
        'https://learn.microsoft.com/en-us/rest/api/azure/devops/wit/comments/add-comment?view=azure-devops-rest-7.1',
      method: 'POST',
      path: '/{settings.project}/_apis/wit/workItems/{args.id}/comments',
      query: { 'api-version': "'7.1-preview.4'" },
      body: '{text: args.text}',
      inputSchema: {
        type: 'object',
        properties: {
          id: { type: 'integer', minimum: 1 },
          text: { type: 'string', minLength: 1, description: 'Comment text (HTML allowed)' },
        },
        required: ['id', 'text'],
      },
      response: '{id: id, work_item_id: workItemId, created_date: createdDate}',
    },
    {
      name: 'query_work_items',
      title: 'Query work items (WIQL)',
      description:
        'Run a WIQL query and return the matching work item ids, e.g. "Select [System.Id] From WorkItems Where [System.AssignedTo] = @Me".',
      docsUrl:
        'https://learn.microsoft.com/en-us/rest/api/azure/devops/wit/wiql/query-by-wiql?view=azure-devops-rest-7.1',
      method: 'POST',
      path: '/{settings.project}/_apis/wit/wiql',
      query: { 'api-version': "'7.1'", $top: 'args.top' },
      body: '{query: args.wiql}',
      inputSchema: {
        type: 'object',
        properties: { wiql: { type: 'string', minLength: 1 }, top: { type: 'integer', minimum: 1, maximum: 200 } },
        required: ['wiql'],
      },
      response: '{ids: workItems[].id}',
      readOnly: true,
    },
  ],
} satisfies IntegrationTemplateInput;
