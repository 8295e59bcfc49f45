/**
 * How knowledge is found, behind one small interface: the embedded default ranks passages with D1 FTS5 (BM25); on
 * Cloudflare, with an `AI` binding (Workers AI embeddings) and a `KNOWLEDGE_VECTORS` binding (a Vectorize index),
 * the hybrid retriever also ranks by embedding similarity and fuses both rankings by reciprocal rank fusion
 * (packages/integrations-core knowledge-fusion.ts). Both answer the same hits; the relevance test runs both (the
 * hybrid one against a deterministic embedding fake, since Workers AI and Vectorize have no local mode).
 *
 * Tenancy in the vector index: one Vectorize namespace per organization, `workspace_key` in each vector's metadata
 * and in every query's filter; and whatever the index answers is checked again against D1
 * (knowledgeHitsByChunkIds), so a wrong or leaky index cannot return another tenant's passages.
 * https://developers.cloudflare.com/vectorize/reference/metadata-filtering/ ·
 * https://developers.cloudflare.com/workers-ai/models/bge-base-en-v1.5/
 */
import {
  knowledgeChunksOf,
  knowledgeHitsByChunkIds,
  searchKnowledge,
  type Db,
  type KnowledgeHit,
  type KnowledgeScope,
} from '@gatehouse/integrations-adapters-cf';
import {
  knowledgeMatchQuery,
  reciprocalRankFusion,
  type OrgTenant,
  type WorkspaceTenant,
} from '@gatehouse/integrations-core';

/** Turns texts into vectors (one per text, same order). */
export interface KnowledgeEmbedder {
  embed(texts: readonly string[]): Promise<number[][]>;
}

/** The part of a Vectorize index the retriever uses (the binding satisfies it). */
export interface KnowledgeVectorIndex {
  upsert(
    vectors: { id: string; values: number[]; namespace: string; metadata: Record<string, string> }[],
  ): Promise<unknown>;
  deleteByIds(ids: string[]): Promise<unknown>;
  query(
    vector: number[],
    options: { topK: number; namespace: string; filter: Record<string, unknown> },
  ): Promise<{ matches: { id: string; score: number }[] }>;
}

export interface KnowledgeFilter {
  scope: KnowledgeScope;
  tags?: readonly string[];
  limit: number;
}

export interface KnowledgeRetriever {
  /** `fts`: BM25 only; `hybrid`: BM25 and embedding similarity, fused. Search answers say which. */
  readonly mode: 'fts' | 'hybrid';
  /** After a document's chunks were written: index them (and forget the chunks a replacement dropped). */
  indexed(tenant: OrgTenant, documentId: string, removedChunkIds: readonly number[]): Promise<void>;
  /** After a document was deleted: forget its chunks. */
  removed(chunkIds: readonly number[]): Promise<void>;
  /** The best passages for a question among the documents the workspace sees, best first; [] when it has no word. */
  search(tenant: WorkspaceTenant, query: string, filter: KnowledgeFilter): Promise<KnowledgeHit[]>;
}

/** The embedded default: FTS5 only (nothing to index beyond the batch that wrote the chunks). */
export function ftsRetriever(db: Db): KnowledgeRetriever {
  return {
    mode: 'fts',
    indexed: async () => {},
    removed: async () => {},
    async search(tenant, query, filter) {
      const match = knowledgeMatchQuery(query);
      return match ? searchKnowledge(db, tenant, match, filter) : [];
    },
  };
}

/** Passages each ranker contributes before fusion. */
const CANDIDATES = 50;
/** Chunks embedded per call. */
const EMBED_BATCH = 50;

/** FTS5 and embeddings, fused by reciprocal rank fusion. */
export function hybridRetriever(
  db: Db,
  embedder: KnowledgeEmbedder,
  vectors: KnowledgeVectorIndex,
): KnowledgeRetriever {
  return {
    mode: 'hybrid',
    async indexed(tenant, documentId, removedChunkIds) {
      if (removedChunkIds.length) await vectors.deleteByIds(removedChunkIds.map(String));
      const chunks = await knowledgeChunksOf(db, tenant, documentId);
      for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
        const batch = chunks.slice(i, i + EMBED_BATCH);
        const values = await embedder.embed(batch.map((c) => `${c.heading}\n${c.text}`));
        await vectors.upsert(
          batch.map((c, j) => ({
            id: String(c.id),
            values: values[j]!,
            namespace: tenant.organizationId,
            metadata: { workspace_key: c.workspaceKey, document_id: documentId },
          })),
        );
      }
    },
    async removed(chunkIds) {
      if (chunkIds.length) await vectors.deleteByIds(chunkIds.map(String));
    },
    async search(tenant, query, filter) {
      const match = knowledgeMatchQuery(query);
      const keys =
        filter.scope === 'local' ? [tenant.workspaceId] : filter.scope === 'global' ? [''] : ['', tenant.workspaceId];
      const lexical = match ? await searchKnowledge(db, tenant, match, { ...filter, limit: CANDIDATES }) : [];
      // Embeddings are an addition: when the model or the index fails, the words still answer.
      const semantic = await embedder
        .embed([query])
        .then(([vector]) =>
          vectors.query(vector!, {
            topK: CANDIDATES,
            namespace: tenant.organizationId,
            filter: { workspace_key: { $in: keys } },
          }),
        )
        .then(
          (r) => r.matches,
          () => [],
        );
      const fused = reciprocalRankFusion([lexical.map((h) => String(h.chunkId)), semantic.map((m) => m.id)]);
      // Hits FTS found carry their highlight; the rest are read (and checked against the tenant and the tags) from D1,
      // all of them before the cut, so what the checks drop never takes a place in the answer.
      const byId = new Map(lexical.map((h) => [String(h.chunkId), h]));
      const missing = fused.filter((f) => !byId.has(f.id)).map((f) => Number(f.id));
      for (const h of await knowledgeHitsByChunkIds(db, tenant, missing, filter)) byId.set(String(h.chunkId), h);
      return fused
        .flatMap((f) => {
          const hit = byId.get(f.id);
          return hit ? [{ ...hit, score: f.score }] : [];
        })
        .slice(0, filter.limit);
    },
  };
}

/** The model Workers AI embeds with (768 dimensions; create the Vectorize index with them, metric cosine). */
export const EMBEDDING_MODEL = '@cf/baai/bge-base-en-v1.5';

/** The bindings that turn the hybrid retriever on (optional: no local mode). */
export interface KnowledgeEnv {
  AI?: Ai;
  KNOWLEDGE_VECTORS?: VectorizeIndex;
}

/** The retriever a worker's bindings allow: hybrid with both AI and KNOWLEDGE_VECTORS, else FTS5. */
export function knowledgeRetrieverFor(env: KnowledgeEnv, db: Db): KnowledgeRetriever {
  const { AI: ai, KNOWLEDGE_VECTORS: index } = env;
  if (!ai || !index) return ftsRetriever(db);
  const embedder: KnowledgeEmbedder = {
    async embed(texts) {
      const out = (await ai.run(EMBEDDING_MODEL as never, { text: [...texts] } as never)) as unknown as {
        data: number[][];
      };
      return out.data;
    },
  };
  return hybridRetriever(db, embedder, index as unknown as KnowledgeVectorIndex);
}
