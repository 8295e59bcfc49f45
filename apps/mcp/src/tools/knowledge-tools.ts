/**
 * The knowledge base as core tools: search_knowledge (any role, mcp:read), add_knowledge_document,
 * get_knowledge_document, list_knowledge_documents, delete_knowledge_document (mcp:write; a Global document is
 * written and deleted by ADMIN and up). The embedded default is D1 FTS5 (BM25, porter stemming, prefix queries) in
 * AUTH_DB (packages/integrations-adapters-cf knowledge.ts); with Workers AI and Vectorize bound, hybrid
 * (knowledge/retriever.ts). Search answers which mode ranked it (`mode`).
 */
import {
  deleteKnowledgeDocument,
  getKnowledgeDocument,
  listKnowledgeDocuments,
  upsertKnowledgeDocument,
  type KnowledgeDocumentRecord,
} from '@gatehouse/integrations-adapters-cf';
import {
  MAX_CHUNKS_PER_DOCUMENT,
  MAX_KNOWLEDGE_DOCUMENT_BYTES,
  chunkKnowledgeText,
  knowledgeMatchQuery,
  roleAtLeast,
} from '@gatehouse/integrations-core';
import { z } from 'zod';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

const iso = (ms: number) => new Date(ms).toISOString();

const scope = z
  .enum(['Local', 'Global', 'All'])
  .default('All')
  .describe('Local: this workspace’s documents; Global: the organization’s; All (default): both');
const tags = z.array(z.string().min(1).max(64)).max(20);
const toScope = (s: 'Local' | 'Global' | 'All') => (s === 'Local' ? 'local' : s === 'Global' ? 'global' : 'all');

/** A Global document is the organization's: writing or deleting one needs ADMIN. */
function requireGlobalWriter(ctx: ToolContext, what: string): void {
  if (!roleAtLeast(ctx.principal.role, 'ADMIN'))
    throw new ToolError(`${what} a Global document needs the ADMIN role; you are ${ctx.principal.role}.`, {
      reason: 'insufficient_role',
      refused: true,
    });
}

/** A document as the tools show it (without its text). */
function documentView(
  d: Pick<
    KnowledgeDocumentRecord,
    'id' | 'title' | 'workspaceKey' | 'sourceUrl' | 'tags' | 'externalId' | 'bytes' | 'chunks' | 'updatedAt'
  >,
) {
  return {
    id: d.id,
    title: d.title,
    scope: d.workspaceKey === '' ? 'Global' : 'Local',
    source_url: d.sourceUrl,
    tags: d.tags,
    external_id: d.externalId,
    bytes: d.bytes,
    chunks: d.chunks,
    updated_at: iso(d.updatedAt),
  };
}

export const searchKnowledgeTool = defineCoreTool({
  name: 'search_knowledge',
  title: 'Search knowledge',
  description:
    'Search the workspace’s knowledge base (its documents and the organization’s Global ones): ranked passages, each with its document id, title, source URL, heading, the passage with the matched words in **bold**, and a score. Words are matched with stemming (deploy finds deploying); end a word with * for a prefix.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  listing: 'always',
  input: z.object({
    query: z.string().min(1).max(1000).describe('What to look for, in words'),
    limit: z.number().int().min(1).max(50).default(10),
    tags: tags.optional().describe('Only documents with at least one of these tags'),
    scope,
  }),
  async run(args, ctx) {
    if (!knowledgeMatchQuery(args.query))
      throw new ToolError('The query has no words to search for: use letters or digits.');
    const hits = await ctx.knowledge.search(ctx.principal, args.query, {
      scope: toScope(args.scope),
      tags: args.tags,
      limit: args.limit,
    });
    return {
      // `fts`: the embedded default; `hybrid` when the AI and KNOWLEDGE_VECTORS bindings are configured.
      mode: ctx.knowledge.mode,
      results: hits.map((h) => ({
        document_id: h.documentId,
        title: h.title,
        source_url: h.sourceUrl,
        tags: h.tags,
        heading: h.heading,
        passage: h.passage,
        score: Number(h.score.toFixed(4)),
      })),
    };
  },
});

export const addKnowledgeDocumentTool = defineCoreTool({
  name: 'add_knowledge_document',
  title: 'Add knowledge document',
  description: `Add a document (plain text or Markdown, at most ${MAX_KNOWLEDGE_DOCUMENT_BYTES / 1_000_000} MB) to the knowledge base, split into passages at headings and paragraphs for search_knowledge. With external_id, a document with the same external_id in the same scope is replaced. Scope Local (default): this workspace; Global: the whole organization (ADMIN).`,
  scope: 'mcp:write',
  minRole: 'MEMBER',
  readOnly: false,
  destructive: true,
  input: z.object({
    title: z.string().min(1).max(300),
    text: z.string().min(1).describe('The document, plain text or Markdown'),
    source_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Where the document lives, http(s) (shown with its passages)'),
    tags: tags.default([]),
    external_id: z.string().min(1).max(300).optional().describe('Your id of it (a path, a page id): upserts'),
    scope: z.enum(['Local', 'Global']).default('Local'),
  }),
  async run(args, ctx) {
    const bytes = new TextEncoder().encode(args.text).length;
    if (bytes > MAX_KNOWLEDGE_DOCUMENT_BYTES)
      throw new ToolError(
        `413 Payload Too Large: the document is ${bytes} bytes; the limit is ${MAX_KNOWLEDGE_DOCUMENT_BYTES} bytes. Split it into several documents.`,
        { reason: 'payload_too_large' },
      );
    if (args.scope === 'Global') requireGlobalWriter(ctx, 'Adding');
    const chunks = chunkKnowledgeText(args.text);
    if (!chunks.length) throw new ToolError('The document has no text to index.');
    if (chunks.length > MAX_CHUNKS_PER_DOCUMENT)
      throw new ToolError(
        `413 Payload Too Large: the document splits into ${chunks.length} passages; the limit is ${MAX_CHUNKS_PER_DOCUMENT}. Split it, or use fewer headings.`,
        { reason: 'payload_too_large' },
      );
    const { document, replaced, removedChunkIds } = await upsertKnowledgeDocument(ctx.db, ctx.principal, {
      workspaceId: args.scope === 'Local' ? ctx.principal.workspaceId : null,
      title: args.title,
      text: args.text,
      sourceUrl: args.source_url ?? null,
      tags: [...new Set(args.tags)],
      externalId: args.external_id ?? null,
      chunks,
      userId: ctx.principal.userId,
    });
    // The semantic index (hybrid mode) follows; a failure there leaves the document found by words only, and says so.
    const semantic = await ctx.knowledge.indexed(ctx.principal, document.id, removedChunkIds).then(
      () => (ctx.knowledge.mode === 'hybrid' ? 'indexed' : 'not configured'),
      () => 'failed: found by words only until it is added again',
    );
    return { document: documentView(document), replaced, semantic_index: semantic };
  },
});

export const getKnowledgeDocumentTool = defineCoreTool({
  name: 'get_knowledge_document',
  title: 'Get knowledge document',
  description: 'One knowledge document with its whole text (search_knowledge and list_knowledge_documents give ids).',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({ document_id: z.string().min(1) }),
  async run({ document_id }, ctx) {
    const doc = await getKnowledgeDocument(ctx.db, ctx.principal, document_id);
    if (!doc) throw new ToolError(`No knowledge document "${document_id}" here. Call list_knowledge_documents.`);
    return { ...documentView(doc), text: doc.text, created_at: iso(doc.createdAt) };
  },
});

export const listKnowledgeDocumentsTool = defineCoreTool({
  name: 'list_knowledge_documents',
  title: 'List knowledge documents',
  description: 'The knowledge documents of this workspace and the organization, most recently updated first.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({ scope, tags: tags.optional(), limit: z.number().int().min(1).max(200).default(50) }),
  async run(args, ctx) {
    const rows = await listKnowledgeDocuments(ctx.db, ctx.principal, {
      scope: toScope(args.scope),
      tags: args.tags,
      limit: args.limit,
    });
    return { documents: rows.map(documentView) };
  },
});

export const deleteKnowledgeDocumentTool = defineCoreTool({
  name: 'delete_knowledge_document',
  title: 'Delete knowledge document',
  description: 'Delete a knowledge document and its passages. A Global document needs the ADMIN role.',
  scope: 'mcp:write',
  minRole: 'MEMBER',
  readOnly: false,
  destructive: true,
  idempotent: true,
  input: z.object({ document_id: z.string().min(1) }),
  async run({ document_id }, ctx) {
    const doc = await getKnowledgeDocument(ctx.db, ctx.principal, document_id);
    if (!doc) throw new ToolError(`No knowledge document "${document_id}" here. Call list_knowledge_documents.`);
    if (doc.workspaceKey === '') requireGlobalWriter(ctx, 'Deleting');
    const chunkIds = await deleteKnowledgeDocument(ctx.db, ctx.principal, doc.id);
    // The document is gone from D1 (and so from every answer: hits are read back through it); a vector left
    // behind is logged, never a failure of the delete.
    await ctx.knowledge
      .removed(chunkIds ?? [])
      .catch((err: unknown) =>
        console.error(
          JSON.stringify({ msg: 'knowledge vectors not deleted', error: err instanceof Error ? err.name : 'unknown' }),
        ),
      );
    return { deleted: doc.id, title: doc.title };
  },
});
