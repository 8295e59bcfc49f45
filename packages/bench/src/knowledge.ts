/**
 * The knowledge rows (issue 17): `tools/call search_knowledge` at 1,000 and 10,000 chunks in one workspace, next to
 * the one-SELECT baseline (target: p50 ≤ 2× the baseline at 10,000 chunks). The corpus is synthetic but shaped like
 * real notes: documents of ten ~1 KB paragraphs (one chunk each) drawn from a fixed vocabulary, so a query matches a
 * few percent of the chunks and BM25 has real work; written through the product's own upsert (one batch a document).
 */
import { upsertKnowledgeDocument, type Db } from '@gatehouse/integrations-adapters-cf';
import { chunkKnowledgeText } from '@gatehouse/integrations-core';
import { BenchCheckError, jsonRpcResult } from './rpc.js';
import type { BenchTenant } from './seed.js';

/** Chunks per synthetic document. */
const CHUNKS_PER_DOCUMENT = 10;
const WORDS = (
  'deploy release rollback incident alert latency queue worker database migration backup restore cache invalidate ' +
  'token secret rotate webhook signature publication session agent model prompt budget timeout retry backoff ' +
  'tenant workspace organization install catalog template provider github linear slack jira zendesk billing ' +
  'invoice plan upgrade customer support ticket escalate owner review approve merge branch pipeline test flaky ' +
  'metric dashboard trace span log request response header payload schema index query search rank score chunk'
).split(' ');

/** The query the rows send: two common words and a rarer one. */
export const KNOWLEDGE_QUERY = 'rollback database zendesk';

/** A deterministic pseudo-random word stream (xorshift), so every run indexes the same corpus. */
function words(seed: number): () => string {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return WORDS[Math.abs(x) % WORDS.length]!;
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
