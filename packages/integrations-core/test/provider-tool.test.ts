import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderToolInputError, defineProviderTool, toolExecutor } from '../src/provider-tool.js';
import type { PublicationContext } from '../src/provider.js';

const ctx = {} as PublicationContext;
const runs: unknown[] = [];
const comment = defineProviderTool({
  name: 'mcp_test_comment',
  description: 'Comment on an issue.',
  input: z.object({
    repository: z
      .string()
      .regex(/^[\w.-]+\/[\w.-]+$/)
      .describe('owner/name'),
    number: z.number().int().min(1),
    body: z.string().min(1),
    labels: z.array(z.string()).optional(),
  }),
  annotations: { readOnlyHint: false },
  publicationScope: 'comment.create',
  target: (a) => `${a.repository}#${a.number}`,
  run: async (a) => {
    runs.push(a);
    return { commented: a.number };
  },
});

describe('defineProviderTool', () => {
  it('publishes the JSON Schema generated from its zod input, without a $schema key', () => {
    expect(comment.inputSchema).toEqual({
      type: 'object',
      properties: {
        repository: { type: 'string', pattern: '^[\\w.-]+\\/[\\w.-]+$', description: 'owner/name' },
        number: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        body: { type: 'string', minLength: 1 },
        labels: { type: 'array', items: { type: 'string' } },
      },
      required: ['repository', 'number', 'body'],
    });
    // The input side: unknown keys are not refused, so the gateway's _session and _integration stay legal.
    expect(comment.inputSchema).not.toHaveProperty('additionalProperties');
    expect(comment).toMatchObject({
      name: 'mcp_test_comment',
      publicationScope: 'comment.create',
      annotations: { readOnlyHint: false },
    });
  });

  it('validates before it runs, naming each wrong field without echoing values', async () => {
    runs.length = 0;
    const err = await comment
      .execute({ repository: 'not a repo', number: 0, body: 'hunter2' }, ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderToolInputError);
    expect((err as Error).message).toMatch(/^Invalid arguments for mcp_test_comment: repository: .*; number: /);
    expect((err as Error).message).not.toContain('not a repo');
    expect(runs).toEqual([]);
    expect(await comment.execute({ repository: 'o/r', number: 3, body: 'hi', _session: 's1' }, ctx)).toEqual({
      commented: 3,
    });
    expect(runs).toEqual([{ repository: 'o/r', number: 3, body: 'hi' }]);
  });

  it('derives the target thread only from valid arguments', () => {
    expect(comment.target?.({ repository: 'o/r', number: 7, body: 'x' })).toBe('o/r#7');
    expect(comment.target?.({ repository: 'o/r', number: '7', body: 'x' })).toBeNull();
    expect(comment.target?.({ repository: 'o/r#8', number: 7, body: 'x' })).toBeNull();
  });

  it('executes by name from the declared list, and refuses a name it does not have', async () => {
    const execute = toolExecutor([comment]);
    expect(await execute('mcp_test_comment', { repository: 'o/r', number: 1, body: 'b' }, ctx)).toEqual({
      commented: 1,
    });
    await expect(execute('mcp_test_delete', {}, ctx)).rejects.toBeInstanceOf(ProviderToolInputError);
  });
});
