/**
 * What `get_run_history_item` sends of one item's detail document: the whole of it within MAX_ITEM_RESPONSE_BYTES
 * (the product docs' cap on tool responses: 900 KB), only the fragments that match a search, or one slice of one
 * field, so a client can dig into a 5 MB upstream response without receiving it. Fields are named by their path in
 * the document (`exchanges[0].responseBody`); offsets are UTF-16 code units, as JavaScript strings index them.
 */
import { linearMatches } from '@gatehouse/catalog';

import { MAX_TOOL_RESULT_BYTES } from '../mcp/tool-result.js';

/** Largest answer of get_run_history_item, bytes: that of any tool result. */
export const MAX_ITEM_RESPONSE_BYTES = MAX_TOOL_RESULT_BYTES;
/** The share of it the detail document may take (the rest is the item's row, the note and JSON indentation). */
export const MAX_DETAIL_BYTES = MAX_ITEM_RESPONSE_BYTES - 32 * 1024;
/** Characters of context on each side of a match. */
export const FRAGMENT_CONTEXT_CHARS = 120;

/** Every string in the document with its path, in document order. */
export function stringFields(doc: unknown, at = ''): { field: string; text: string }[] {
  if (typeof doc === 'string') return [{ field: at, text: doc }];
  if (Array.isArray(doc)) return doc.flatMap((v, i) => stringFields(v, `${at}[${i}]`));
  if (doc && typeof doc === 'object')
    return Object.entries(doc).flatMap(([k, v]) => stringFields(v, at ? `${at}.${k}` : k));
  return [];
}

export interface Fragment {
  field: string;
  /** Where the match starts in the field, and its length. */
  offset: number;
  length: number;
  /** The match with FRAGMENT_CONTEXT_CHARS on each side; `from` is where the fragment starts in the field. */
  from: number;
  fragment: string;
}

/**
 * The first `max` matches of `query` in the document's strings: `text` case-insensitively as written, or `pattern`
 * as an RE2 regular expression (linear time whatever the pattern).
 */
export function findFragments(doc: unknown, query: { text?: string; pattern?: string }, max: number): Fragment[] {
  const out: Fragment[] = [];
  for (const { field, text } of stringFields(doc)) {
    if (out.length >= max) break;
    const hits = query.pattern
      ? linearMatches(query.pattern, text, max - out.length)
      : textMatches(text, query.text ?? '', max - out.length);
    for (const { start, end } of hits) {
      const from = Math.max(start - FRAGMENT_CONTEXT_CHARS, 0);
      // A long match (`[\s\S]+`) is shown by its start: `length` says how long it is, `field` + `offset` reads it.
      const shown = Math.min(end, start + MAX_MATCH_CHARS);
      out.push({
        field,
        offset: start,
        length: end - start,
        from,
        fragment: text.slice(from, shown + (shown === end ? FRAGMENT_CONTEXT_CHARS : 0)),
      });
    }
  }
  return out;
}

/** Most characters of one match shown in its fragment. */
export const MAX_MATCH_CHARS = 1_000;

/** Case-insensitive occurrences of `needle` as written (a regular expression of the escaped text: offsets stay exact). */
function textMatches(text: string, needle: string, max: number): { start: number; end: number }[] {
  if (!needle) return [];
  const re = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
  const out: { start: number; end: number }[] = [];
  for (const m of text.matchAll(re)) {
    out.push({ start: m.index, end: m.index + m[0].length });
    if (out.length >= max) break;
  }
  return out;
}

/** `length` characters of the field at `offset`, with the field's total length; null when there is no such field. */
export function sliceField(
  doc: unknown,
  field: string,
  offset: number,
  length: number,
): { text: string; totalLength: number } | null {
  const match = stringFields(doc).find((f) => f.field === field);
  return match ? { text: match.text.slice(offset, offset + length), totalLength: match.text.length } : null;
}
