/**
 * The local demo tenant `pnpm dev` and `pnpm gatehouse seed` create, and the per-run dev token.
 * Idempotent: each entity is looked up by its natural key (org slug, workspace slug, email) and only created when
 * missing, so running it again writes nothing.
 */
import { randomBytes } from 'node:crypto';
import { issueToken, type IssuedTokenJson } from './commands/token.mts';
import { requireOrganization } from './tenant-lookup.mts';
import {
  createAgent,
  createOrganization,
  createWorkspace,
  findOrganization,
  findUserByEmail,
  findVisibleAgent,
  findWorkspace,
  hashPassword,
  listApiTokens,
  listMembers,
  revokeApiToken,
  setUserPasswordHash,
  upsertMember,
  type Db,
  type Role,
} from './workspace-packages.mts';

/** The demo tenant. */
export const DEMO = {
  organization: { slug: 'demo', name: 'Demo Organization' },
  workspace: {
    slug: 'main',
    name: 'Main',
    vision: 'One MCP endpoint that gives every agent the team’s tools, with the right permissions.',
    okrs: ['Connect the first three integrations end to end', 'Every tool call attributed to a user and a workspace'],
  },
  admin: { email: 'admin@demo.local', displayName: 'Demo Admin', role: 'SUPERADMIN' as Role },
  /**
   * An example agent, disabled until a model is set (README, Agents): a local Ollama by default; read-only tools.
   * `update_agent` with `enabled: true` (and another `model` or `api_key`) turns it on.
   */
  agent: {
    name: 'assistant',
    description: 'Example agent: answers questions about the workspace with its read-only tools.',
    instructions:
      'You are the workspace assistant. Answer briefly, using the tools to look things up; say when you cannot.',
    model: { provider: 'openai-compatible', model: 'llama3.2', base_url: 'http://127.0.0.1:11434/v1' },
  },
} as const;

/** Name of the token each `pnpm dev` run issues (earlier live ones with this name are revoked). */
export const DEV_TOKEN_NAME = 'pnpm dev';

/** What a seed run did, per entity: `created` or `existing` (the admin's role may be `updated` back to SUPERADMIN). */
export interface SeedResult {
  organization: { slug: string; id: string; status: 'created' | 'existing' };
  workspace: { slug: string; id: string; status: 'created' | 'existing' };
  user: { email: string; id: string; role: Role; status: 'created' | 'existing' | 'updated' };
  agent: { name: string; enabled: boolean; status: 'created' | 'existing' };
}

/** Creates whatever part of the demo tenant is missing. */
export async function seedDemo(db: Db): Promise<SeedResult> {
  const existingOrg = await findOrganization(db, DEMO.organization.slug);
  const org = existingOrg ?? (await createOrganization(db, DEMO.organization));
  const tenant = { organizationId: org.id };

  const existingWorkspace = await findWorkspace(db, tenant, DEMO.workspace.slug);
  const workspace =
    existingWorkspace ?? (await createWorkspace(db, tenant, { ...DEMO.workspace, okrs: [...DEMO.workspace.okrs] }));

  const { email, displayName, role } = DEMO.admin;
  const before = (await listMembers(db, tenant)).find((m) => m.email === email);
  const member = before?.role === role ? before : await upsertMember(db, tenant, { email, displayName, role });

  const workspaceTenant = { organizationId: org.id, workspaceId: workspace.id };
  const existingAgent = await findVisibleAgent(db, workspaceTenant, DEMO.agent.name);
  const agent =
    existingAgent ??
    (await createAgent(db, tenant, {
      ...DEMO.agent,
      model: { ...DEMO.agent.model },
      workspaceId: workspace.id,
      scope: 'local',
      apiKey: null,
      tools: null,
      role: 'MEMBER',
      maxSteps: 20,
      maxOutputTokens: null,
      timeoutMs: 300_000,
      handles: [],
      enabled: false,
      createdBy: member.id,
    }));

  return {
    agent: {
      name: DEMO.agent.name,
      enabled: agent?.enabled ?? false,
      status: existingAgent ? 'existing' : 'created',
    },
    organization: { slug: org.slug, id: org.id, status: existingOrg ? 'existing' : 'created' },
    workspace: { slug: workspace.slug, id: workspace.id, status: existingWorkspace ? 'existing' : 'created' },
    user: {
      email: member.email,
      id: member.id,
      role,
      status: !before ? 'created' : before.role === role ? 'existing' : 'updated',
    },
  };
}

/**
 * Issues a fresh SUPERADMIN token named {@link DEV_TOKEN_NAME} for the demo admin in the demo workspace and revokes
 * the admin's earlier live tokens with that name (run {@link seedDemo} first): only hashes are stored, so a new run
 * cannot show the old token again.
 */
export async function rotateDevToken(db: Db): Promise<IssuedTokenJson & { revoked: string[] }> {
  const org = await requireOrganization(db, DEMO.organization.slug);
  const tenant = { organizationId: org.id };
  const admin = (await listMembers(db, tenant)).find((m) => m.email === DEMO.admin.email);
  const earlier = (await listApiTokens(db, tenant)).filter(
    (t) => t.name === DEV_TOKEN_NAME && t.userId === admin?.id && t.revokedAt === null,
  );
  const issued = await issueToken(db, {
    org,
    role: DEMO.admin.role,
    userEmail: DEMO.admin.email,
    workspaceSlug: DEMO.workspace.slug,
    name: DEV_TOKEN_NAME,
  });
  for (const token of earlier) await revokeApiToken(db, tenant, token.id);
  return { ...issued, revoked: earlier.map((t) => t.id) };
}

/**
 * Sets a fresh random sign-in password for the demo admin (for the OAuth consent page: mcp-remote without a token,
 * Cursor, Claude Code's login) and returns it to print. New each run, like the dev token: only its hash is stored.
 */
export async function rotateDevPassword(db: Db): Promise<{ email: string; password: string }> {
  const user = await findUserByEmail(db, DEMO.admin.email);
  if (!user) throw new Error('seed the demo tenant first');
  const password = randomBytes(15).toString('base64url');
  await setUserPasswordHash(db, user.id, await hashPassword(password));
  return { email: user.email, password };
}
