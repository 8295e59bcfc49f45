/** The payload of one AGENT_RUNS workflow instance (its instance id is the run id too). */
export interface AgentRunParams {
  organizationId: string;
  runId: string;
}
