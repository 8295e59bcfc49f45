/**
 * Knowledge text, runtime-neutral: splitting a document (plain text or Markdown) into bounded passages at headings
 * and paragraphs, and turning a person's query into an FTS5 MATCH expression that cannot be a syntax error or an
 * injection (https://sqlite.org/fts5.html#full_text_query_syntax).
 */

/** Largest document accepted, UTF-8 bytes of its text; larger ones are refused with 413 and this limit. */
export const MAX_KNOWLEDGE_DOCUMENT_BYTES = 1_000_000;
/** Longest passage, characters: a search hit is one passage, short enough to read and to hand to a model. */
export const MAX_CHUNK_CHARS = 1_200;
/** Most passages one document may have (1 MB of prose makes about 900; more means a degenerate document). */
export const MAX_CHUNKS_PER_DOCUMENT = 2_000;
/** Longest heading kept in a passage's heading path, characters (each heading; the path joins at most six). */
const MAX_HEADING_CHARS = 120;

/** One passage of a document: the heading path it sits under ("Deploy › Rollback") and its text. */
export interface KnowledgeChunk {
  heading: string;
  text: string;
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

/**
 * Splits `text` into passages of at most MAX_CHUNK_CHARS: a Markdown ATX heading (`#` … `######`) starts a new
 * section whose passages carry the heading path; paragraphs (blank-line separated) of a section are packed together
 * while they fit; a paragraph longer than the limit is cut at sentence ends, then at spaces, then hard. Fenced code
 * blocks are kept whole when they fit (a `#` inside one is not a heading). Empty text gives no passages.
 */
export function chunkKnowledgeText(text: string, maxChars = MAX_CHUNK_CHARS): KnowledgeChunk[] {
  const chunks: KnowledgeChunk[] = [];
  const path: string[] = [];
  let paragraphs: string[] = [];
  let current: string[] = [];
  let inFence = false;
  const heading = () => path.filter(Boolean).join(' › ');
  const endParagraph = () => {
    const p = current.join('\n').trim();
    if (p) paragraphs.push(p);
    current = [];
  };
  const endSection = () => {
    endParagraph();
    let buffer = '';
    for (const p of paragraphs.flatMap((p) => splitLong(p, maxChars))) {
      if (buffer && buffer.length + 2 + p.length > maxChars) {
        chunks.push({ heading: heading(), text: buffer });
        buffer = '';
      }
      buffer = buffer ? `${buffer}\n\n${p}` : p;
    }
    if (buffer) chunks.push({ heading: heading(), text: buffer });
    paragraphs = [];
  };
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const h = inFence ? null : HEADING.exec(line);
    if (h) {
      endSection();
      const level = h[1]!.length;
      path.length = level;
      path[level - 1] = h[2]!.slice(0, MAX_HEADING_CHARS);
      continue;
    }
    if (!inFence && line.trim() === '') endParagraph();
    else current.push(line);
  }
  endSection();
  return chunks;
}

/** A paragraph cut into pieces of at most `max` characters: at sentence ends, else spaces, else anywhere. */
function splitLong(paragraph: string, max: number): string[] {
  if (paragraph.length <= max) return [paragraph];
  const pieces: string[] = [];
  let rest = paragraph;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const sentence = Math.max(window.lastIndexOf('. '), window.lastIndexOf('.\n'), window.lastIndexOf('? '));
    const space = window.lastIndexOf(' ');
    const cut = sentence > max / 2 ? sentence + 1 : space > max / 2 ? space : max;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/** Most words a query contributes to its MATCH expression (the rest are ignored). */
const MAX_QUERY_TERMS = 32;

/**
 * The FTS5 MATCH expression for a free-text query: its words (Unicode letters and digits) as quoted strings joined by
 * OR, so BM25 ranks passages with more and rarer matches first; a word written with a trailing `*` stays a prefix
 * query (`deploy*`). FTS5 operators and punctuation in the query are text, never syntax. Null when the query has no
 * word.
 */
export function knowledgeMatchQuery(query: string): string | null {
  // Words as unicode61 tokenizes them: letters (with their combining marks) and digits.
  const terms = [...query.matchAll(/([\p{L}\p{M}\p{N}]+)(\*?)/gu)]
    .slice(0, MAX_QUERY_TERMS)
    .map(([, word, star]) => `"${word}"${star}`);
  return terms.length ? [...new Set(terms)].join(' OR ') : null;
}
