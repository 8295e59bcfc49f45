/**
 * First-call context is bookkeeping around a tool call: when its compare-and-swap write fails (a D1 error), the tool's
 * result still reaches the caller, without the context; and once the session's lookup says it was delivered, no
 * write is attempted at all.
 */
import { describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { withFirstCallContext } from '../src/mcp/first-call-context.js';
import type { ToolContext } from '../src/tools/tool-types.js';

const result: CallToolResult = { content: [{ type: 'text', text: '{"ok":true}' }] };

function ctxWith(db: unknown, contextDelivered: boolean): ToolContext {
  return {
    sessionId: 'sess-1',
    contextDelivered,
    db,
    principal: { organizationId: 'org-1', workspaceId: 'ws-1', userId: 'u-1' },
  } as unknown as ToolContext;
}

describe('withFirstCallContext', () => {
  it('returns the tool result unchanged when the claim write fails', async () => {
    let writes = 0;
    const failing = new Proxy(
      {},
      {
        get: () => () => {
          writes++;
          throw new Error('D1_ERROR: database is locked');
        },
      },
    );
    expect(await withFirstCallContext(ctxWith(failing, false), result)).toEqual(result);
    expect(writes).toBe(1);
  });

  it('writes nothing once the session lookup says the context went out', async () => {
    let touched = 0;
    const db = new Proxy(
      {},
      {
        get: () => () => {
          touched++;
          throw new Error('must not be called');
        },
      },
    );
    expect(await withFirstCallContext(ctxWith(db, true), result)).toEqual(result);
    expect(touched).toBe(0);
  });
});
