/**
 * Relevance of search_knowledge's two retrievers, FTS5 and hybrid (FTS5 fused with embeddings; here the deterministic
 * embedding fake of knowledge-fakes.ts), on a fixed corpus (fixtures/knowledge-corpus.ts: 40 documents, 20 questions
 * with their expected documents). Reports precision@3 (the share of a question's expected
 * documents, at most three, found in the top three) and MRR (the mean of 1 / rank of the first expected document),
 * and holds both at or above the figures measured when the test was written, so a change to chunking, tokenizing or
 * weights cannot make search worse unnoticed.
 */
import { chunkKnowledgeText } from '@gatehouse/integrations-core';
import { upsertKnowledgeDocument } from '@gatehouse/integrations-adapters-cf';
import { describe, expect, it } from 'vitest';
import { ftsRetriever, hybridRetriever, type KnowledgeRetriever } from '../src/knowledge/retriever.js';
import { CORPUS, QUERIES } from './fixtures/knowledge-corpus.js';
import { db, seedTenant } from './helpers.js';
import { memoryVectorIndex, wordEmbedder } from './knowledge-fakes.js';

/**
 * Floors, just under the figures when the test was written (FTS5 BM25, porter unicode61, title 5 / heading 2 /
 * body 1): FTS precision@3 0.817, MRR 1.000 (every question's best document first); hybrid with the word-embedding
 * fake 0.817 and 0.975.
 */
const MIN_PRECISION_AT_3 = 0.8;
const MIN_MRR = 0.95;

const retrievers: [string, () => KnowledgeRetriever][] = [
  ['fts', () => ftsRetriever(db)],
  ['hybrid', () => hybridRetriever(db, wordEmbedder(), memoryVectorIndex())],
];

describe.each(retrievers)('knowledge relevance (%s)', (mode, make) => {
  it('ranks the expected documents first for 20 questions over 40 documents', async () => {
    const t = await seedTenant(`kb-relevance-${mode}`);
    const retriever = make();
    const ids = new Map<string, string>();
    for (const doc of CORPUS) {
      const { document, removedChunkIds } = await upsertKnowledgeDocument(db, t.tenant, {
        workspaceId: t.ws.id,
        title: doc.title,
        text: doc.text,
        sourceUrl: null,
        tags: doc.tags,
        externalId: doc.id,
        chunks: chunkKnowledgeText(doc.text),
        userId: t.user.id,
      });
      await retriever.indexed(t.tenant, document.id, removedChunkIds);
      ids.set(document.id, doc.id);
    }
    let precision = 0;
    let reciprocal = 0;
    const misses: string[] = [];
    for (const { query, expected } of QUERIES) {
      const hits = await retriever.search(t.tenant, query, { scope: 'all', limit: 10 });
      // Passages to documents, best first, each once.
      const ranked = [...new Set(hits.map((h) => ids.get(h.documentId)!))];
      const top3 = ranked.slice(0, 3);
      precision += expected.slice(0, 3).filter((e) => top3.includes(e)).length / Math.min(3, expected.length);
      const first = ranked.findIndex((r) => expected.includes(r));
      reciprocal += first === -1 ? 0 : 1 / (first + 1);
      if (first !== 0) misses.push(`${query} → ${top3.join(', ')} (expected ${expected[0]})`);
    }
    const p3 = precision / QUERIES.length;
    const mrr = reciprocal / QUERIES.length;
    console.log(
      JSON.stringify({ msg: 'knowledge relevance', mode, precisionAt3: p3.toFixed(3), mrr: mrr.toFixed(3), misses }),
    );
    expect(p3).toBeGreaterThanOrEqual(MIN_PRECISION_AT_3);
    expect(mrr).toBeGreaterThanOrEqual(MIN_MRR);
  });
});
