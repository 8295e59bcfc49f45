/**
 * The "how to connect" text `pnpm dev` prints: the MCP endpoint, the dev token and ready-to-paste client config.
 * Sources for each format:
 * - Claude Code: `claude mcp add --transport http <name> <url> --header "…"` (https://docs.anthropic.com/en/docs/claude-code/mcp)
 * - Cursor: `~/.cursor/mcp.json`, `mcpServers.<name>.url` + `headers` (https://docs.cursor.com/context/model-context-protocol)
 * - mcp-remote for stdio-only clients such as Claude Desktop: `--header` with `${VAR}` taken from `env`, `--allow-http`
 *   for a plain-HTTP URL (https://github.com/geelen/mcp-remote#custom-headers, #flags)
 */

/** What the summary needs. `token` is null when this run issued none (`--integrations-only`). */
export interface ConnectionInfo {
  mcpUrl: string | null;
  integrationsUrl: string;
  token: string | null;
  /** The demo admin's sign-in for OAuth clients (new each run). */
  signIn?: { email: string; password: string } | null;
  /** e.g. "admin@demo.local, SUPERADMIN, demo/main". */
  tokenScope?: string;
}

/** The Claude Code command line. */
export function claudeCodeCommand(mcpUrl: string, token: string): string {
  return `claude mcp add --transport http gatehouse ${mcpUrl} --header "Authorization: Bearer ${token}"`;
}

/** The `~/.cursor/mcp.json` document. */
export function cursorConfig(mcpUrl: string, token: string): string {
  return JSON.stringify(
    { mcpServers: { gatehouse: { url: mcpUrl, headers: { Authorization: `Bearer ${token}` } } } },
    null,
    2,
  );
}

/** The mcp-remote shell commands (token read from GATEHOUSE_TOKEN) and the claude_desktop_config.json block. */
export function mcpRemoteConfig(mcpUrl: string, token: string): { command: string; desktopConfig: string } {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote expands ${VAR} from its env, literally.
  const args = ['mcp-remote', mcpUrl, '--allow-http', '--header', 'Authorization: Bearer ${GATEHOUSE_TOKEN}'];
  return {
    // Exported on its own line: in `VAR=x cmd "${VAR}"` the shell expands ${VAR} before the assignment applies.
    command: `export GATEHOUSE_TOKEN=${token}\nnpx mcp-remote ${mcpUrl} --allow-http --header "Authorization: Bearer \${GATEHOUSE_TOKEN}"`,
    desktopConfig: JSON.stringify(
      { mcpServers: { gatehouse: { command: 'npx', args, env: { GATEHOUSE_TOKEN: token } } } },
      null,
      2,
    ),
  };
}

/** The whole human-readable summary. */
export function renderConnectionSummary(info: ConnectionInfo): string {
  const indent = (text: string) => text.replace(/^/gm, '  ');
  const lines = ['', '━━━ Gatehouse dev ━━━', ''];
  if (info.mcpUrl) lines.push(`  MCP endpoint:         ${info.mcpUrl}`);
  lines.push(`  Integrations worker:  ${info.integrationsUrl}`);
  if (!info.mcpUrl || !info.token) {
    lines.push(
      '',
      '  No token issued by this run; create one with `pnpm gatehouse token create --org demo --role ADMIN`.',
      '',
    );
    return lines.join('\n');
  }
  const remote = mcpRemoteConfig(info.mcpUrl, info.token);
  lines.push(
    `  API token:            ${info.token}${info.tokenScope ? `  (${info.tokenScope})` : ''}`,
    '                        (new each run; earlier "pnpm dev" tokens are revoked)',
    '',
    'Claude Code:',
    indent(claudeCodeCommand(info.mcpUrl, info.token)),
    '',
    'Cursor (~/.cursor/mcp.json):',
    indent(cursorConfig(info.mcpUrl, info.token)),
    '',
    'mcp-remote (stdio bridge):',
    indent(remote.command),
    '',
    'Claude Desktop via mcp-remote (claude_desktop_config.json):',
    indent(remote.desktopConfig),
    '  (Cursor, Codex CLI and Claude Desktop on Windows split args at spaces; there use',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text a person pastes into the config.
    '   "Authorization:${AUTH_HEADER}" with env AUTH_HEADER="Bearer <token>", per the mcp-remote README.)',
    '',
  );
  if (info.signIn)
    lines.push(
      'OAuth instead of a token (mcp-remote without --header, Cursor or Claude Code login): the client opens the',
      `sign-in page; sign in as ${info.signIn.email} with password ${info.signIn.password} (new each run).`,
      indent(`npx mcp-remote ${info.mcpUrl} --allow-http`),
      '',
    );
  return lines.join('\n');
}
