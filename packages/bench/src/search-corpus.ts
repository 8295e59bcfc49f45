/**
 * A catalog for the search_tools row that reads like a real one: each synthetic service has its own kind (Billing,
 * Helpdesk…) and record type (invoice, ticket…), and its ten tools are the usual verbs over it, so a query matches
 * the few services it is about, as a query against real integrations does. (The tools/list rows' catalog repeats one
 * description 5,000 times: every word of a query would match every tool, which measures the worst case of a ranker,
 * not a search; search-mode.ts measures that too, without a target.)
 */
import type { IntegrationTemplateInput } from '@gatehouse/catalog';
import { TOOLS_PER_TEMPLATE } from './seed.js';

const KINDS = ['Billing', 'Helpdesk', 'Inventory', 'Payroll', 'CRM', 'Warehouse', 'Analytics', 'Calendar', 'Mailing'];
const RECORDS = [
  'invoice',
  'ticket',
  'order',
  'employee',
  'contact',
  'shipment',
  'report',
  'event',
  'campaign',
  'file',
  'alert',
  'release',
  'form',
  'response',
  'message',
  'page',
  'article',
  'task',
  'candidate',
  'expense',
  'payment',
  'refund',
  'subscription',
  'customer',
  'product',
  'supplier',
  'asset',
  'incident',
  'build',
  'pipeline',
  'repository',
  'comment',
  'label',
  'milestone',
  'sprint',
  'board',
  'channel',
  'meeting',
  'note',
  'quote',
];
const VERBS = ['list', 'get', 'create', 'update', 'delete', 'search', 'archive', 'assign', 'export', 'restore'];

/** The query of the search_tools row, and the tool it must rank first (service 21's record type is "incident"). */
export const SEARCH_QUERY = 'create an incident';
export const SEARCH_EXPECTED_FIRST = /^svc\d+_create_incident$/;

/** Template `i` of the search corpus: service `<kind> <i>`, ten verbs over one record type. */
export function searchCorpusTemplate(i: number): IntegrationTemplateInput {
  const service = `${KINDS[i % KINDS.length]} ${i}`;
  const record = RECORDS[(i * 7) % RECORDS.length]!;
  const slug = `svc-${String(i).padStart(4, '0')}`;
  return {
    slug,
    name: service,
    description: `${service}: ${record}s.`,
    docsUrl: `https://docs.example.com/${slug}/api`,
    baseUrl: '{+settings.base_url}',
    auth: { type: 'bearer', token: 'api_token' },
    credentials: [{ name: 'api_token', description: 'API token of a service account', secret: true }],
    settings: [{ name: 'base_url', description: 'API origin, e.g. https://api.example.com' }],
    tools: VERBS.slice(0, TOOLS_PER_TEMPLATE).map((verb) => ({
      name: `svc${i}_${verb}_${record}`,
      title: `${verb[0]!.toUpperCase()}${verb.slice(1)} ${record}`,
      description: `${verb[0]!.toUpperCase()}${verb.slice(1)} ${record}s in ${service}; answers the ${record} with its id, status and owner.`,
      docsUrl: `https://docs.example.com/${slug}/api/${record}s#${verb}`,
      method:
        verb === 'list' || verb === 'get' || verb === 'search' || verb === 'export'
          ? ('GET' as const)
          : ('POST' as const),
      path: `/v1/${record}s/{args.id}/${verb}`,
      inputSchema: {
        type: 'object' as const,
        properties: { id: { type: 'string', description: `The ${record} id` } },
        required: ['id'],
      },
    })),
  };
}
