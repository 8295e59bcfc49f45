/**
 * The knowledge rows (issue 17): `tools/call search_knowledge` at 1,000 and 10,000 chunks in one workspace, next to
 * the one-SELECT baseline (target: p50 ≤ 2× the baseline at 10,000 chunks). The corpus is synthetic but shaped like
 * real notes: documents of ten ~1 KB paragraphs (one chunk each) of Zipf-distributed words from a 4,000-word
 * vocabulary, so each query word occurs in a modest share of the chunks and BM25 has real work; written through the
 * product's own upsert (one batch a document).
 */
import { upsertKnowledgeDocument, type Db } from '@gatehouse/integrations-adapters-cf';
import { chunkKnowledgeText } from '@gatehouse/integrations-core';
import { BenchCheckError, jsonRpcResult } from './rpc.js';
import type { BenchTenant } from './seed.js';

/** Chunks per synthetic document. */
const CHUNKS_PER_DOCUMENT = 10;
/** Distinct words of the synthetic language (a real notes corpus has tens of thousands; a few thousand suffice). */
const VOCABULARY = 4_000;
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'be', 'da', 'fu', 'gi', 'ho', 'ja', 'pe', 'zu'];

/** Word `rank` (0 = the most frequent): a pronounceable, unique string. */
function word(rank: number): string {
  let w = '';
  let n = rank + SYLLABLES.length;
  while (n > 0) {
    w += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  }
  return w;
}

/**
 * The query the rows send: three words of middling frequency, as a person's question names a topic; each occurs in
 * roughly 5–15 % of the chunks (Zipf: a word's share falls with its rank).
 */
export const KNOWLEDGE_QUERY = [60, 150, 400].map(word).join(' ');

/** A deterministic stream of Zipf-distributed words (log-uniform ranks from xorshift), so every run is the same. */
function words(seed: number): () => string {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const u = (x >>> 0) / 2 ** 32;
    return word(Math.floor(Math.exp(u * Math.log(VOCABULARY))) - 1);
  };
}

/** Indexes `chunks` chunks into the tenant's workspace (documents of CHUNKS_PER_DOCUMENT paragraphs). */
export async function seedKnowledge(db: Db, tenant: BenchTenant, chunks: number): Promise<void> {
  const next = words(chunks);
  for (let d = 0; d < chunks / CHUNKS_PER_DOCUMENT; d++) {
    const paragraphs = Array.from({ length: CHUNKS_PER_DOCUMENT }, () => Array.from({ length: 140 }, next).join(' '));
    const text = `# Note ${d}\n${paragraphs.join('\n\n')}`;
    const parts = chunkKnowledgeText(text);
    if (parts.length !== CHUNKS_PER_DOCUMENT)
      throw new BenchCheckError(
        `knowledge seed: ${parts.length} chunks in a document, expected ${CHUNKS_PER_DOCUMENT}`,
      );
    await upsertKnowledgeDocument(db, tenant, {
      workspaceId: tenant.workspaceId,
      title: `Note ${d}`,
      text,
      sourceUrl: null,
      tags: [],
      externalId: `note-${d}`,
      chunks: parts,
      userId: tenant.userId,
    });
  }
}

/** A tenant per corpus size (chunks → tenant), each with its corpus indexed. */
export async function seedKnowledgeTenants(
  db: Db,
  sizes: readonly number[],
  seedTenant: (slug: string) => Promise<BenchTenant>,
  progress: (line: string) => void,
): Promise<Map<number, BenchTenant>> {
  const tenants = new Map<number, BenchTenant>();
  for (const chunks of sizes) {
    const started = performance.now();
    const tenant = await seedTenant(`bench-kb${chunks}`);
    await seedKnowledge(db, tenant, chunks);
    tenants.set(chunks, tenant);
    progress(`indexed ${chunks} knowledge chunks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return tenants;
}

/** Checks a search_knowledge answer: ten FTS results, each with a highlighted passage; answers null (no tool count). */
export function checkKnowledgeResult(text: string): null {
  const result = jsonRpcResult(text) as { isError?: boolean; content?: { text: string }[] };
  const body = result.isError
    ? null
    : (JSON.parse(result.content?.[0]?.text ?? '{}') as { mode?: string; results?: { passage: string }[] });
  if (body?.mode !== 'fts' || body.results?.length !== 10 || !body.results.every((r) => r.passage.includes('**')))
    throw new BenchCheckError(`search_knowledge: ${text.slice(0, 300)}`);
  return null;
}
