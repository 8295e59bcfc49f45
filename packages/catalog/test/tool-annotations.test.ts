/**
 * MCP ToolAnnotations of template tools (tool-annotations.ts): declared hints win, else the HTTP method decides; the
 * grouping of one name over several installations is cautious; listings drop the spec's defaults.
 */
import { describe, expect, it } from 'vitest';
import {
  combineAnnotations,
  findBuiltinTemplate,
  listedAnnotations,
  templateToolAnnotations,
  validateTemplate,
} from '../src/index.js';
import { template } from './fixtures.js';

const tool = (method: string, extra: Record<string, unknown> = {}) =>
  templateToolAnnotations({ method: method as 'GET', readOnly: method === 'GET', ...extra });

describe('templateToolAnnotations', () => {
  it('derives the hints from the method', () => {
    expect(tool('GET')).toEqual({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    });
    expect(tool('POST')).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(tool('PUT')).toMatchObject({ destructiveHint: true, idempotentHint: true });
    expect(tool('PATCH')).toMatchObject({ destructiveHint: true, idempotentHint: false });
    expect(tool('DELETE')).toMatchObject({ destructiveHint: true, idempotentHint: true });
  });

  it('lets a template declare what the method does not say', () => {
    // A POST that closes or merges something destroys; a PATCH that only appends a label does not.
    expect(tool('POST', { destructiveHint: true })).toMatchObject({ destructiveHint: true });
    expect(tool('PATCH', { destructiveHint: false, idempotentHint: true })).toMatchObject({
      destructiveHint: false,
      idempotentHint: true,
    });
    expect(tool('GET', { openWorldHint: false })).toMatchObject({ openWorldHint: false });
  });

  it('marks the shipped templates: creating a ticket adds, updating one overwrites', () => {
    const zendesk = findBuiltinTemplate('zendesk')!;
    const hints = (name: string) => templateToolAnnotations(zendesk.tools.find((t) => t.name === name)!);
    expect(hints('create_ticket')).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(hints('update_ticket')).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(hints('list_tickets')).toMatchObject({ readOnlyHint: true });
  });
});

describe('combining and listing', () => {
  it('is destructive when any provider of a name is, read-only only when all are', () => {
    const both = combineAnnotations([tool('POST'), tool('DELETE')]);
    expect(both).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
    expect(combineAnnotations([tool('GET'), tool('GET')]).readOnlyHint).toBe(true);
    expect(combineAnnotations([tool('GET'), tool('POST')]).readOnlyHint).toBe(false);
  });

  it('lists only what differs from the spec defaults', () => {
    expect(listedAnnotations(tool('GET'))).toEqual({ readOnlyHint: true });
    expect(listedAnnotations(tool('POST'))).toEqual({ destructiveHint: false });
    expect(listedAnnotations(tool('DELETE'))).toEqual({ idempotentHint: true });
    expect(listedAnnotations(tool('PATCH'))).toBeUndefined();
  });

  it('refuses a read-only tool declared destructive', () => {
    const out = validateTemplate(template({}, { readOnly: true, destructiveHint: true }), new Set());
    expect(out).toMatchObject({ ok: false, problems: [expect.stringMatching(/a readOnly tool neither destroys/)] });
  });
});
