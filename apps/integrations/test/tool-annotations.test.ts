/**
 * Provider tools carry MCP ToolAnnotations (MCP 2025-06-18 §Tools): every tool that writes says whether it is
 * destructive, since the spec's default (true) makes clients ask before every write, comments included.
 */
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../src/providers.js';

const tools = PROVIDERS.flatMap((p) => p.tools.map((t) => ({ provider: p.id, ...t })));

describe('provider tool annotations', () => {
  it.each(tools.filter((t) => t.publicationScope !== undefined).map((t) => [t.name, t] as const))(
    '%s (writes) declares destructiveHint',
    (_name, tool) => {
      expect(tool.annotations?.readOnlyHint).toBe(false);
      expect(typeof tool.annotations?.destructiveHint).toBe('boolean');
    },
  );

  it('marks additive writes non-destructive and a state change destructive', () => {
    const hints = new Map(tools.map((t) => [t.name, t.annotations]));
    expect(hints.get('mcp_github_comment_on_issue')).toMatchObject({ destructiveHint: false });
    expect(hints.get('mcp_slack_post_message')).toMatchObject({ destructiveHint: false });
    expect(hints.get('mcp_linear_update_issue_state')).toMatchObject({ destructiveHint: true, idempotentHint: true });
    expect(hints.get('mcp_github_get_issue')).toMatchObject({ readOnlyHint: true });
  });
});
