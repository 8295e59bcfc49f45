/**
 * grant_publication: lets an admin grant an installed provider a standing publication — workspace-wide (target: the
 * caller's workspace) or for one user — so its write tools may run without an agent session, e.g. opening issues.
 * Sessions get their own thread-level publication automatically from the provider's defaults.
 */
import {
  createPublication,
  findUserByEmail,
  findVisibleInstallation,
  listMembers,
} from '@gatehouse/integrations-adapters-cf';
import { z } from 'zod';
import { providerScopes } from './provider-registry.js';
import { ToolError, defineCoreTool } from './tool-types.js';

export const grantPublication = defineCoreTool({
  name: 'grant_publication',
  title: 'Grant publication',
  description:
    'Allow an installed provider (e.g. GitHub) to write without an agent session: workspace-wide or for one user, limited to the scopes given (e.g. issue.create).',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  input: z.object({
    integration: z.string().min(1).describe('Handle of the provider installation (list_installed_integrations)'),
    granularity: z.enum(['workspace', 'user']),
    scopes: z.array(z.string().min(1)).min(1),
    user_email: z.string().email().optional().describe('For granularity user: whose calls it covers'),
  }),
  async run(args, ctx) {
    const installation = await findVisibleInstallation(ctx.db, ctx.principal, args.integration);
    if (installation?.kind !== 'provider')
      throw new ToolError(`No provider installation "${args.integration}" in this workspace.`);
    const offered = (await providerScopes(ctx.integrations)).get(installation.source) ?? [];
    const problems = args.scopes.filter(
      (s) => !offered.some((o) => o.name === s && o.granularities.includes(args.granularity)),
    );
    if (problems.length)
      throw new ToolError(
        `${installation.source} does not offer ${problems.join(', ')} at ${args.granularity} granularity (offered: ${offered.map((o) => `${o.name} [${o.granularities.join('/')}]`).join(', ') || 'none'}).`,
      );
    let target = ctx.principal.workspaceId;
    if (args.granularity === 'user') {
      if (!args.user_email) throw new ToolError('user_email is required for granularity user.');
      const user = await findUserByEmail(ctx.db, args.user_email);
      const member = user && (await listMembers(ctx.db, ctx.principal)).some((m) => m.id === user.id);
      if (!user || !member) throw new ToolError(`${args.user_email} is not a member of your organization.`);
      target = user.id;
    }
    const row = await createPublication(ctx.db, ctx.principal, {
      installationId: installation.id,
      granularity: args.granularity,
      target,
      scopes: args.scopes,
    });
    return {
      granted: {
        integration: installation.handle,
        granularity: row.granularity,
        scopes: row.scopes,
        target: args.granularity === 'user' ? args.user_email : ctx.principal.workspaceSlug,
      },
    };
  },
});
