/**
 * Bench tenants, seeded through the adapters' repository functions (organizations, members, tokens, installations)
 * so the rows are exactly what the product writes. Organization templates are inserted directly into
 * integration_templates (there is no repository writer for them yet), after parsing with the catalog's schema.
 *
 * Each catalog size lives in its own organization, so each row of the bench has its own entry in the main worker's
 * per-isolate toolset cache (keyed by organization, workspace and catalog version).
 */
import { integrationTemplateSchema, type IntegrationTemplateInput } from '@gatehouse/catalog';
import {
  bumpCatalogVersion,
  createApiToken,
  createInstallation,
  createOrganization,
  createWorkspace,
  newId,
  upsertMember,
  type Db,
} from '@gatehouse/integrations-adapters-cf';
import { integrationTemplates } from '@gatehouse/integrations-adapters-cf/schema';

/** Tools per synthetic template (the "N installations × 10 tools"). */
export const TOOLS_PER_TEMPLATE = 10;

/** One organization with a workspace, an ADMIN member and an API token. */
export interface BenchTenant {
  organizationId: string;
  workspaceId: string;
  userId: string;
  /** Plaintext API token for `Authorization: Bearer`. */
  token: string;
}

/** Creates an organization `slug` with workspace `main`, an ADMIN user and a token. */
export async function seedTenant(db: Db, slug: string): Promise<BenchTenant> {
  const org = await createOrganization(db, { slug, name: `Bench ${slug}` });
  const tenant = { organizationId: org.id };
  const ws = await createWorkspace(db, tenant, { slug: 'main', name: 'Main' });
  const user = await upsertMember(db, tenant, {
    email: `admin@${slug}.bench`,
    displayName: 'Bench Admin',
    role: 'ADMIN',
  });
  const { token } = await createApiToken(
    db,
    { organizationId: org.id, workspaceId: ws.id },
    { userId: user.id, role: 'ADMIN', name: 'bench' },
  );
  return { organizationId: org.id, workspaceId: ws.id, userId: user.id, token };
}

/**
 * Name of tool `j` of template `i`. Distinct per template (never the shared-name `_integration` grouping), so N
 * installations really list N × 10 tools.
 */
export function syntheticToolName(i: number, j: number): string {
  return `svc${String(i).padStart(4, '0')}_op${j}`;
}

/** A synthetic read-only REST template, shaped like the shipped ones (descriptions, schemas, JMESPath mapping). */
function syntheticTemplate(i: number): IntegrationTemplateInput {
  const slug = `svc-${String(i).padStart(4, '0')}`;
  return {
    slug,
    name: `Service ${i}`,
    description: 'Synthetic REST service for the tools/list benchmark: ten read-only tools over one record type.',
    docsUrl: `https://docs.example.com/${slug}/api`,
    baseUrl: '{+settings.base_url}',
    auth: { type: 'bearer', token: 'api_token' },
    credentials: [{ name: 'api_token', description: 'API token of a service account', secret: true }],
    settings: [
      { name: 'base_url', description: 'API origin, e.g. https://api.example.com', pattern: '^https?://\\S+$' },
    ],
    tools: Array.from({ length: TOOLS_PER_TEMPLATE }, (_, j) => ({
      name: syntheticToolName(i, j),
      title: `Get record (view ${j})`,
      description: `Get one record by id with its status, owner and timestamps (view ${j}); fields are returned as the service names them.`,
      docsUrl: `https://docs.example.com/${slug}/api/records#view-${j}`,
      method: 'GET' as const,
      path: `/v1/records/{args.record_id}/views/${j}`,
      query: { expand: 'args.expand' },
      inputSchema: {
        type: 'object' as const,
        properties: {
          record_id: { type: 'string', description: 'Record id, e.g. REC-123' },
          expand: { type: 'string', description: 'Comma-separated related objects to include, e.g. owner,history' },
        },
        required: ['record_id'],
      },
      response: '{id: id, status: status, owner: owner.name, updated: updated_at}',
      readOnly: true,
    })),
  };
}

/** D1 accepts at most this many statements comfortably in one batch round trip; keeps the seed fast and bounded. */
const BATCH = 50;

/**
 * Seeds `count` organization templates (`templateOf(i)`, by default the tools/list rows' synthetic template) and one
 * Global installation of each into the tenant's organization. The
 * installations go through `createInstallation` (handle derivation, catalog version bump), as the product writes
 * them; `credentials` is a JWE from the credentials cipher (listing never decrypts it, but the row is realistic).
 */
export async function seedSyntheticCatalog(
  db: Db,
  tenant: BenchTenant,
  count: number,
  credentials: string,
  templateOf: (i: number) => IntegrationTemplateInput = syntheticTemplate,
): Promise<void> {
  const now = Date.now();
  const rows = Array.from({ length: count }, (_, i) => {
    const definition = integrationTemplateSchema.parse(templateOf(i));
    return {
      id: newId(),
      organizationId: tenant.organizationId,
      slug: definition.slug,
      version: 1,
      definition,
      createdBy: tenant.userId,
      createdAt: now,
      updatedAt: now,
    };
  });
  for (let start = 0; start < rows.length; start += BATCH) {
    const inserts = rows.slice(start, start + BATCH).map((row) => db.insert(integrationTemplates).values(row));
    await db.batch([inserts[0]!, ...inserts.slice(1), bumpCatalogVersion(db, tenant)]);
  }
  for (const row of rows) {
    await createInstallation(db, tenant, {
      kind: 'template',
      source: row.slug,
      title: `${row.definition.name} (bench)`,
      scope: 'global',
      workspaceId: null,
      settings: { base_url: 'https://api.example.com' },
      credentials,
      createdBy: tenant.userId,
    });
  }
}

/** Installs the shipped jira-cloud template, pointed at the loopback upstream. Returns its handle. */
export async function seedJiraInstallation(
  db: Db,
  tenant: BenchTenant,
  siteUrl: string,
  credentials: string,
): Promise<string> {
  const row = await createInstallation(db, tenant, {
    kind: 'template',
    source: 'jira-cloud',
    title: 'Jira (bench loopback)',
    scope: 'global',
    workspaceId: null,
    settings: { site_url: siteUrl, project_key: 'BENCH' },
    credentials,
    createdBy: tenant.userId,
  });
  return row.handle;
}

/**
 * Installs the GitHub provider (kind `provider`, source `github`) as a credential paste: the webhook secret the ingest
 * rows sign with and a personal token for the tools (`webhook_secret`, `token`: apps/integrations/src/routes/github/
 * install.ts), the API root in the `api_url` setting (the loopback GitHub). `credentials` is a JWE from the bench
 * cipher. Returns the installation id.
 */
export async function seedGithubInstallation(
  db: Db,
  tenant: BenchTenant,
  apiUrl: string,
  credentials: string,
): Promise<string> {
  const row = await createInstallation(db, tenant, {
    kind: 'provider',
    source: 'github',
    title: 'GitHub (bench loopback)',
    scope: 'global',
    workspaceId: null,
    settings: { api_url: apiUrl },
    credentials,
    createdBy: tenant.userId,
  });
  return row.id;
}
