/**
 * Zendesk Support tickets, Ticketing API v2, with an agent e-mail and API token.
 * API reference: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
 * Auth (Basic, `{email}/token:{api_token}`):
 * https://developer.zendesk.com/api-reference/introduction/security-and-auth/#api-token
 */
import type { IntegrationTemplateInput } from '../template-schema.js';

const ticketView =
  '{id: id, subject: subject, status: status, priority: priority, requester_id: requester_id, assignee_id: assignee_id, updated_at: updated_at}';

export const zendeskTemplate = {
  slug: 'zendesk',
  name: 'Zendesk',
  description: 'Zendesk Support tickets: list, read, create and update.',
  docsUrl: 'https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/',
  baseUrl: '{+settings.instance_url}',
  // The vendor's own hosts: a site URL elsewhere would receive the credentials (upstream-hosts.ts).
  upstreamHosts: ['*.zendesk.com'],
  auth: { type: 'basic', username: 'email', usernameSuffix: '/token', password: 'api_token' },
  credentials: [
    { name: 'email', description: 'E-mail of the agent the token acts as', secret: false },
    {
      name: 'api_token',
      description: 'API token from Admin Center › Apps and integrations › Zendesk API',
      secret: true,
    },
  ],
  settings: [
    {
      name: 'instance_url',
      description: 'Zendesk URL, e.g. https://acme.zendesk.com',
      pattern: '^https?://\\S+$',
      example: 'https://acme.zendesk.com',
    },
  ],
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-the-currently-authenticated-user
  validation: { method: 'GET', path: '/api/v2/users/me' },
  tools: [
    {
      name: 'list_tickets',
      title: 'List tickets',
      description: 'List tickets, most recently updated first (cursor pagination).',
      docsUrl: 'https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets',
      method: 'GET',
      path: '/api/v2/tickets',
      query: { 'page[size]': 'args.page_size || `25`', 'page[after]': 'args.after', sort: "'-updated_at'" },
      inputSchema: {
        type: 'object',
        properties: {
          page_size: { type: 'integer', minimum: 1, maximum: 100 },
          after: { type: 'string', description: 'Cursor from a previous call' },
        },
      },
      response: `{tickets: tickets[].${ticketView}, after: meta.after_cursor, has_more: meta.has_more}`,
      readOnly: true,
    },
    {
      name: 'get_ticket',
      title: 'Get ticket',
      description: 'Get one ticket by id.',
      docsUrl: 'https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#show-ticket',
      method: 'GET',
      path: '/api/v2/tickets/{args.ticket_id}',
      inputSchema: {
        type: 'object',
        properties: { ticket_id: { type: 'integer', minimum: 1 } },
        required: ['ticket_id'],
      },
      response: `ticket.${ticketView}`,
      readOnly: true,
    },
    {
      name: 'create_ticket',
      title: 'Create ticket',
      description: 'Create a ticket with a subject and first comment; optionally a priority and requester.',
      docsUrl: 'https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket',
      method: 'POST',
      path: '/api/v2/tickets',
      body: '{ticket: {subject: args.subject, comment: {body: args.body}, priority: args.priority, requester: args.requester_email && {email: args.requester_email}}}',
      inputSchema: {
        type: 'object',
        properties: {
          subject: { type: 'string', minLength: 1 },
          body: { type: 'string', minLength: 1, description: 'First comment' },
          priority: { type: 'string', enum: ['urgent', 'high', 'normal', 'low'] },
          requester_email: { type: 'string', format: 'email' },
        },
        required: ['subject', 'body'],
      },
      response: `ticket.${ticketView}`,
    },
    {
      name: 'update_ticket',
      title: 'Update ticket',
      description:
        'Change the status or priority of a ticket, optionally adding a comment (private unless public is true).',
      docsUrl: 'https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket',
      method: 'PUT',
      path: '/api/v2/tickets/{args.ticket_id}',
      body: '{ticket: {status: args.status, priority: args.priority, comment: args.comment && {body: args.comment, public: args.public || `false`}}}',
      inputSchema: {
        type: 'object',
        properties: {
          ticket_id: { type: 'integer', minimum: 1 },
          status: { type: 'string', enum: ['new', 'open', 'pending', 'hold', 'solved', 'closed'] },
          priority: { type: 'string', enum: ['urgent', 'high', 'normal', 'low'] },
          comment: { type: 'string', minLength: 1 },
          public: { type: 'boolean' },
        },
        required: ['ticket_id'],
      },
      response: `ticket.${ticketView}`,
    },
  ],
} satisfies IntegrationTemplateInput;
