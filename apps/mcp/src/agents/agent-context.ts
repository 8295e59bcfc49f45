/**
 * Who an agent run is: a principal of its workspace whose token id is `agent:<agent id>` (the run history's actor),
 * acting for the run's user with the run's role and scopes, which were fixed when the run was made: the lesser of
 * the agent's role and the caller's (invoke_agent), the caller's scopes; for a session run, the agent's role, for
 * its creator (or last editor). The agent and the membership are read again for every step: a user removed from the
 * organization, an agent disabled or deleted, stops at the next step; a role lowered applies at the next step.
 */
import {
  createDb,
  findAgent,
  findPrincipalForGrant,
  type AgentRecord,
  type AgentRunRecord,
} from '@gatehouse/integrations-adapters-cf';
import { lesserRole, loadWorkerConfig } from '@gatehouse/integrations-core';
import { historySink } from '../mcp/handle-mcp.js';
import { notifierFor } from '../notifications/org-notifier.js';
import type { ToolContext } from '../tools/tool-types.js';
import type { ModelEnv } from './agent-model.js';
import { knowledgeRetrieverFor, type KnowledgeEnv } from '../knowledge/retriever.js';

/**
 * The ToolContext an agent run's tool calls get (role: the least of the membership's, the run's and the agent's
 * current one), or null when the agent is disabled or gone or the run's user is no longer a member.
 */
export async function agentToolContext(
  env: Env,
  run: Pick<AgentRunRecord, 'organizationId' | 'workspaceId' | 'userId' | 'role' | 'scopes' | 'traceId'>,
  agent: Pick<AgentRecord, 'id'>,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<ToolContext | null> {
  const db = createDb(env.AUTH_DB);
  // The agent as it is now: a disabled or deleted agent acts no more, a lowered role applies at the next step.
  const current = await findAgent(db, { organizationId: run.organizationId }, agent.id);
  if (!current?.enabled) return null;
  const found = await findPrincipalForGrant(db, {
    userId: run.userId,
    organizationId: run.organizationId,
    workspaceId: run.workspaceId,
    clientId: '',
  });
  if (!found) return null;
  const { session: _none, ...principal } = found;
  return {
    principal: {
      ...principal,
      tokenId: `agent:${agent.id}`,
      role: lesserRole(lesserRole(principal.role, run.role), current.role),
    },
    db,
    config: loadWorkerConfig(env),
    fetch: (input, init) => fetch(input, init),
    integrations: env.INTEGRATIONS,
    agentRuns: env.AGENT_RUNS,
    modelEnv: env as ModelEnv,
    knowledge: knowledgeRetrieverFor(env as KnowledgeEnv, db),
    scopes: run.scopes,
    publicOrigin: env.PUBLIC_ORIGIN,
    sessionId: null,
    // No MCP session: the first-call context (vision, OKRs) is for people's clients, not for an agent's steps.
    contextDelivered: true,
    history: historySink(env, { waitUntil }, db),
    traceId: run.traceId,
    notifyToolsChanged: () =>
      waitUntil(notifierFor(env, run.organizationId).notify('notifications/tools/list_changed')),
  };
}
