/**
 * Stand-ins for Workers AI embeddings and a Vectorize index, which have no local mode: a deterministic embedder (a
 * hashed bag of crudely stemmed words, L2-normalized, so texts sharing words are close) and an in-memory index with
 * Vectorize's namespaces, `$in` metadata filter and cosine scores. `leaky: true` makes the index ignore namespaces
 * and filters, for the test that a wrong index cannot leak another tenant's passages.
 */
import type { KnowledgeEmbedder, KnowledgeVectorIndex } from '../src/knowledge/retriever.js';

const DIMENSIONS = 512;

function stem(word: string): string {
  return word.replace(/(ments?|ings?|ed|es|s)$/, '') || word;
}

function hash(word: string): number {
  let h = 2166136261;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
  return (h >>> 0) % DIMENSIONS;
}

export function wordEmbedder(): KnowledgeEmbedder & { calls: number } {
  const embedder = {
    calls: 0,
    async embed(texts: readonly string[]) {
      embedder.calls++;
      return texts.map((t) => {
        const v = new Array<number>(DIMENSIONS).fill(0);
        for (const w of t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) if (w.length > 2) v[hash(stem(w))]! += 1;
        const norm = Math.hypot(...v) || 1;
        return v.map((x) => x / norm);
      });
    },
  };
  return embedder;
}

type Stored = { values: number[]; namespace: string; metadata: Record<string, string> };

export function memoryVectorIndex(options: { leaky?: boolean } = {}): KnowledgeVectorIndex & { size(): number } {
  const vectors = new Map<string, Stored>();
  return {
    size: () => vectors.size,
    async upsert(items) {
      for (const { id, ...rest } of items) vectors.set(id, rest);
    },
    async deleteByIds(ids) {
      for (const id of ids) vectors.delete(id);
    },
    async query(vector, { topK, namespace, filter }) {
      const wanted = (filter.workspace_key as { $in: string[] }).$in;
      const matches = [...vectors]
        .filter(([, v]) => options.leaky || (v.namespace === namespace && wanted.includes(v.metadata.workspace_key!)))
        .map(([id, v]) => ({ id, score: v.values.reduce((sum, x, i) => sum + x * vector[i]!, 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK);
      return { matches };
    },
  };
}
