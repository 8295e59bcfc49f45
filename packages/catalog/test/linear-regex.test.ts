/**
 * Template patterns run on other people's input with RE2 semantics: a pattern with catastrophic backtracking on a
 * JavaScript RegExp (`^(a+)+$` against many `a` and a `!`) answers at once, and what RE2 cannot run (backreferences,
 * lookaround) or what would go unenforced (patterns inside anyOf/oneOf, patternProperties) is refused at creation.
 */
import { describe, expect, it } from 'vitest';
import {
  linearFullMatch,
  linearMatches,
  validateArguments,
  validateTemplate,
  type TemplateTool,
} from '../src/index.js';
import { template as baseTemplate } from './fixtures.js';

const EVIL = '^(a+)+$';
const ATTACK = `${'a'.repeat(64)}!`;

/** The validate-template test's template with a setting pattern and an `id` argument schema. */
function template(settingPattern: string | undefined, idSchema: Record<string, unknown>) {
  return baseTemplate(
    {
      settings: [
        { name: 'base_url', description: 'API origin', ...(settingPattern ? { pattern: settingPattern } : {}) },
      ],
    },
    { inputSchema: { type: 'object', properties: { id: idSchema }, required: ['id'] } },
  );
}

const problems = (input: unknown) => {
  const r = validateTemplate(input, new Set());
  return r.ok ? '' : r.problems.join('\n');
};

describe('template patterns', () => {
  it('answers a catastrophic pattern on a hostile argument at once, and still enforces it', () => {
    const r = validateTemplate(template(EVIL, { type: 'string', pattern: EVIL }), new Set());
    if (!r.ok) throw new Error(r.problems.join('; '));
    const tool = r.template.tools[0] as TemplateTool;
    expect(validateArguments(tool, { id: ATTACK })).toEqual([`id: does not match pattern "${EVIL}"`]);
    expect(validateArguments(tool, { id: 'aaaa' })).toEqual([]);
    expect(linearFullMatch(EVIL, ATTACK)).toBe(false);
    expect(linearFullMatch(EVIL, 'aaa')).toBe(true);
  });

  it('refuses patterns RE2 cannot run, patterns it could not enforce, and patternProperties, naming the field', () => {
    expect(problems(template('(a)\\1', { type: 'string' }))).toMatch(/settings\.base_url\.pattern: not an RE2/);
    expect(problems(template(undefined, { type: 'string', pattern: 'a(?=b)' }))).toMatch(
      /inputSchema\/properties\/id\.pattern: not an RE2/,
    );
    expect(problems(template(undefined, { anyOf: [{ type: 'string', pattern: 'a' }, { type: 'integer' }] }))).toMatch(
      /anyOf\/0\.pattern: patterns inside anyOf\/oneOf are not supported/,
    );
    expect(problems(template(undefined, { type: 'object', patternProperties: { '^x': { type: 'string' } } }))).toMatch(
      /patternProperties is not supported/,
    );
  });

  it('refuses patterns where they would go unenforced, and patterns too large for a bounded program', () => {
    expect(problems(template(undefined, { type: 'string', not: { pattern: '^x' } }))).toMatch(
      /a pattern may stand only under properties, items or allOf/,
    );
    expect(problems(template(undefined, { type: 'object', additionalProperties: { pattern: '^x' } }))).toMatch(
      /a pattern may stand only under properties/,
    );
    expect(problems(template('(?:\\pL|\\pN){1000}', { type: 'string' }))).toMatch(/counted repetition above 100/);
    expect(problems(template('a'.repeat(300), { type: 'string' }))).toMatch(/longer than 256 characters/);
    // A property that is itself named "pattern" is data, not a keyword.
    expect(problems(template(undefined, { type: 'object', properties: { pattern: { type: 'string' } } }))).toBe('');
  });
});

describe('linearMatches', () => {
  it('lists matches left to right with their offsets, up to the limit', () => {
    expect(linearMatches('a+', 'xaayaaa', 10)).toEqual([
      { start: 1, end: 3 },
      { start: 4, end: 7 },
    ]);
    expect(linearMatches('a', 'aaaa', 2)).toHaveLength(2);
  });

  it('ends on patterns that match the empty string', () => {
    expect(linearMatches('b*', 'ab', 10)).toEqual([
      { start: 0, end: 0 },
      { start: 1, end: 2 },
      { start: 2, end: 2 },
    ]);
  });

  it('runs a pathological pattern in linear time', () => {
    const text = `${'a'.repeat(100_000)}!`;
    expect(linearMatches('(a+)+$', text, 1)).toEqual([]);
  });
});
