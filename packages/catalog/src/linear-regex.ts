/**
 * Regular expressions that come from templates (a setting's `pattern`, `pattern` keywords in a tool's input schema)
 * and run on other people's input (an installer's settings, a caller's arguments). They run on RE2JS, the
 * JavaScript port of RE2 (https://github.com/google/re2/wiki/Syntax): matching is linear in the input whatever the
 * pattern, so no pattern can stall the worker (`(a+)+$` on a long run of `a` followed by `!` takes exponential time
 * on a backtracking engine such as JavaScript's RegExp). RE2 has no backreferences or lookaround; a template that
 * uses them is refused when it is created, naming the field.
 */
import { RE2JS } from 're2js';

/** Compiled patterns per isolate (values: RE2JS programs are immutable). */
const compiled = new Map<string, RE2JS>();
const MAX_CACHED = 512;

function compile(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Longest pattern accepted, characters, and largest counted repetition (`{n}`): RE2's matching is linear in the
 * input but proportional to the compiled program's size, which counted repetitions multiply. */
export const MAX_PATTERN_LENGTH = 256;
const MAX_REPEAT = 100;

/** Why `pattern` is not an acceptable RE2 pattern (too large, or not RE2 syntax), or null when it is. */
export function linearPatternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  for (const m of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g))
    if (Number(m[1]) > MAX_REPEAT || Number(m[2] || 0) > MAX_REPEAT)
      return `a counted repetition above ${MAX_REPEAT} ({${m[1]}${m[2] !== undefined ? `,${m[2]}` : ''}})`;
  try {
    compile(pattern);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : 'not a regular expression';
  }
}

/** JSON Schema `pattern` semantics (ECMA-262 §, unanchored): whether `text` contains a match. */
export function linearSearch(pattern: string, text: string): boolean {
  return compile(pattern).matcher(text).find();
}

/** Where the first match of `pattern` in `text` starts (UTF-16 index), or -1. */
export function linearFindIndex(pattern: string, text: string): number {
  const m = compile(pattern).matcher(text);
  return m.find() ? m.start() : -1;
}

/**
 * The first `max` matches of `pattern` in `text`, as UTF-16 [start, end) offsets, left to right; an empty match
 * advances by one character so the scan always ends. Linear in `text` (RE2).
 */
export function linearMatches(pattern: string, text: string, max: number): { start: number; end: number }[] {
  const m = compile(pattern).matcher(text);
  const out: { start: number; end: number }[] = [];
  let from = 0;
  while (out.length < max && from <= text.length && m.find(from)) {
    out.push({ start: m.start(), end: m.end() });
    from = m.end() > m.start() ? m.end() : m.end() + 1;
  }
  return out;
}

/** Whether all of `text` matches `pattern` (a setting's pattern). */
export function linearFullMatch(pattern: string, text: string): boolean {
  return compile(pattern).matches(text);
}

/** Every `pattern` in a JSON Schema, with its location, under `properties`, `items` and the combinators. */
export function schemaPatterns(schema: unknown, at = '#'): { at: string; pattern: string }[] {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return [];
  const s = schema as Record<string, unknown>;
  const out: { at: string; pattern: string }[] = [];
  if (typeof s.pattern === 'string') out.push({ at, pattern: s.pattern });
  if (s.properties && typeof s.properties === 'object')
    for (const [k, v] of Object.entries(s.properties)) out.push(...schemaPatterns(v, `${at}/properties/${k}`));
  if (s.items) out.push(...schemaPatterns(s.items, `${at}/items`));
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
    if (Array.isArray(s[key]))
      for (const [i, v] of (s[key] as unknown[]).entries()) out.push(...schemaPatterns(v, `${at}/${key}/${i}`));
  return out;
}

/**
 * How many `pattern` keywords a schema holds anywhere (every object whose `pattern` is a string, property names
 * aside). More than schemaPatterns finds means some sit where they would go unenforced (`not`, `$defs`,
 * `additionalProperties`, `if`/`then`, `const` data…): validate-template refuses those.
 */
export function countPatternKeywords(schema: unknown): number {
  if (!schema || typeof schema !== 'object') return 0;
  if (Array.isArray(schema)) return schema.reduce((n: number, v) => n + countPatternKeywords(v), 0);
  let n = 0;
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (k === 'pattern' && typeof v === 'string') n++;
    else if (k === 'properties' && v && typeof v === 'object')
      for (const sub of Object.values(v)) n += countPatternKeywords(sub);
    else n += countPatternKeywords(v);
  }
  return n;
}

/** A copy of `schema` without its `pattern` keywords (checked by checkSchemaPatterns instead). */
export function withoutPatterns<T>(schema: T): T {
  if (!schema || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map(withoutPatterns) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (k === 'pattern' && typeof v === 'string') continue;
    // Property names are data here, not keywords: a property called "pattern" stays.
    out[k] =
      k === 'properties' && v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([p, sub]) => [p, withoutPatterns(sub)]))
        : withoutPatterns(v);
  }
  return out as T;
}

/**
 * The `pattern` keywords of `schema` applied to `value` with RE2 (properties, items; a combinator's patterns apply
 * when its branch is the only one, `allOf`): the messages for what does not match, like a validator's.
 */
export function checkSchemaPatterns(schema: unknown, value: unknown, at = 'arguments'): string[] {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return [];
  const s = schema as Record<string, unknown>;
  const out: string[] = [];
  if (typeof s.pattern === 'string' && typeof value === 'string') {
    // A template stored before patterns were checked may hold one RE2 cannot run: say so, never run it elsewhere.
    if (linearPatternProblem(s.pattern) !== null)
      out.push(`${at}: the template's pattern "${s.pattern}" is not RE2 syntax; an ADMIN must update the template`);
    else if (!linearSearch(s.pattern, value)) out.push(`${at}: does not match pattern "${s.pattern}"`);
  }
  if (s.properties && typeof s.properties === 'object' && value && typeof value === 'object' && !Array.isArray(value))
    for (const [k, sub] of Object.entries(s.properties))
      if (k in value)
        out.push(
          ...checkSchemaPatterns(sub, (value as Record<string, unknown>)[k], at === 'arguments' ? k : `${at}/${k}`),
        );
  if (s.items && Array.isArray(value))
    for (const [i, v] of value.entries()) out.push(...checkSchemaPatterns(s.items, v, `${at}/${i}`));
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) out.push(...checkSchemaPatterns(sub, value, at));
  return out;
}
