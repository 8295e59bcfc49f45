/**
 * Search across templates (the integration-builder docs: "search for a pattern across all fields of an
 * integration"): every string in a definition — names, descriptions, paths, JMESPath mappings, headers, schemas —
 * with the JSON path where it was found. A regular expression runs on RE2 (linear-regex.ts), so no pattern stalls
 * the worker; plain text matches case-insensitively.
 */
import { linearFindIndex, linearPatternProblem } from './linear-regex.js';

/** One place a pattern matched. */
export interface TemplateMatch {
  /** JSON path in the definition, e.g. `tools[2].path`. */
  path: string;
  /** The matching value, cut to 200 characters around the first match. */
  excerpt: string;
}

function* strings(value: unknown, path: string): Generator<{ path: string; text: string }> {
  if (typeof value === 'string') yield { path, text: value };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      // Keys are searched too (a query parameter's name, a schema property's).
      yield { path: path ? `${path}.${k}` : k, text: k };
      yield* strings(v, path ? `${path}.${k}` : k);
    }
}

/**
 * The matcher for `pattern` (where in a text it first matches, or -1): RE2 when `regex`, else case-insensitive
 * text; or the pattern's problem.
 */
export function templateMatcher(
  pattern: string,
  regex: boolean,
): { ok: true; test: (text: string) => number } | { ok: false; problem: string } {
  if (!regex) {
    const needle = pattern.toLowerCase();
    return { ok: true, test: (text) => text.toLowerCase().indexOf(needle) };
  }
  const problem = linearPatternProblem(pattern);
  if (problem) return { ok: false, problem: `pattern: not an RE2 regular expression (${problem})` };
  return { ok: true, test: (text) => linearFindIndex(pattern, text) };
}

/** The places in `definition` where `test` matches, at most `limit`. */
export function searchTemplate(definition: unknown, test: (text: string) => number, limit = 50): TemplateMatch[] {
  const out: TemplateMatch[] = [];
  const seen = new Set<string>();
  for (const { path, text } of strings(definition, '')) {
    const at = test(text);
    if (at < 0) continue;
    const key = `${path}\u0000${text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const start = Math.max(0, at - 60);
    out.push({
      path,
      excerpt: `${start > 0 ? '…' : ''}${text.slice(start, start + 200)}${text.length > start + 200 ? '…' : ''}`,
    });
    if (out.length >= limit) break;
  }
  return out;
}
