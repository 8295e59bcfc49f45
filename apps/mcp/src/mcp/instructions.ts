/** The server instructions a workspace gets until an admin sets its own (update_mcp_settings). */
export const DEFAULT_INSTRUCTIONS =
  'Gatehouse connects you to your organization’s integrations. Core tools manage the integration catalog and give workspace context; integration tools act on the installed services. When a tool has an _integration argument, several installations provide it: pass the handle of the one to use.';
