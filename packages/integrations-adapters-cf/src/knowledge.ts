/**
 * Knowledge documents and their full-text index (schema.ts `knowledge_documents`, `knowledge_chunks`; the FTS5 table
 * `knowledge_fts` of migration 0012, whose rows a trigger deletes with their chunks). A write replaces the document's chunks and index rows in one D1 batch, so a
 * search never sees a document half-indexed. A workspace sees its Local documents and the organization's Global ones
 * (`workspace_key` ''); nothing here reads across organizations. Ranking: FTS5 BM25 with the title weighted over the
 * heading over the body (https://sqlite.org/fts5.html#the_bm25_function).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { KnowledgeChunk, OrgTenant, WorkspaceTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { knowledgeChunks, knowledgeDocuments } from './schema.js';

export type KnowledgeDocumentRecord = typeof knowledgeDocuments.$inferSelect;

/** Which documents a read covers: this workspace's Local ones, the organization's Global ones, or both. */
export type KnowledgeScope = 'local' | 'global' | 'all';

function keysOf(tenant: WorkspaceTenant, scope: KnowledgeScope): string[] {
  return scope === 'local' ? [tenant.workspaceId] : scope === 'global' ? [''] : ['', tenant.workspaceId];
}

/** What add_knowledge_document stores. */
export interface KnowledgeDocumentInput {
  /** The workspace of a Local document, or null for a Global one. */
  workspaceId: string | null;
  title: string;
  text: string;
  sourceUrl: string | null;
  tags: string[];
  externalId: string | null;
  chunks: readonly KnowledgeChunk[];
  userId: string;
}

/**
 * Adds a document, or replaces the one with the same `externalId` in the same scope (its id kept), with its chunks
 * and index rows in one batch. Answers the stored row and whether it replaced one.
 */
export async function upsertKnowledgeDocument(
  db: Db,
  tenant: OrgTenant,
  input: KnowledgeDocumentInput,
): Promise<{ document: KnowledgeDocumentRecord; replaced: boolean; removedChunkIds: number[] }> {
  try {
    return await writeKnowledgeDocument(db, tenant, input);
  } catch (err) {
    // Two first adds of one new external id at once: both read "none", the second insert meets the first's row on
    // the unique (organization, scope, external id) index. Now that row exists, so once more is a replacement.
    if (input.externalId && (await byExternalId(db, tenant, input.workspaceId ?? '', input.externalId)))
      return writeKnowledgeDocument(db, tenant, input);
    throw err;
  }
}

/** The document of the scope with this external id (what a replacement keeps of it), or undefined. */
function byExternalId(db: Db, tenant: OrgTenant, workspaceKey: string, externalId: string) {
  return db
    .select({
      id: knowledgeDocuments.id,
      createdAt: knowledgeDocuments.createdAt,
      createdBy: knowledgeDocuments.createdBy,
    })
    .from(knowledgeDocuments)
    .where(
      and(
        eq(knowledgeDocuments.organizationId, tenant.organizationId),
        eq(knowledgeDocuments.workspaceKey, workspaceKey),
        eq(knowledgeDocuments.externalId, externalId),
      ),
    )
    .get();
}

async function writeKnowledgeDocument(
  db: Db,
  tenant: OrgTenant,
  input: KnowledgeDocumentInput,
): Promise<{ document: KnowledgeDocumentRecord; replaced: boolean; removedChunkIds: number[] }> {
  const workspaceKey = input.workspaceId ?? '';
  const existing = input.externalId ? await byExternalId(db, tenant, workspaceKey, input.externalId) : undefined;
  const now = Date.now();
  const document: KnowledgeDocumentRecord = {
    id: existing?.id ?? newId(),
    organizationId: tenant.organizationId,
    workspaceId: input.workspaceId,
    workspaceKey,
    title: input.title,
    text: input.text,
    sourceUrl: input.sourceUrl,
    tags: input.tags,
    externalId: input.externalId,
    bytes: new TextEncoder().encode(input.text).length,
    chunks: input.chunks.length,
    createdBy: existing?.createdBy ?? input.userId,
    createdAt: existing?.createdAt ?? now,
    updatedBy: input.userId,
    updatedAt: now,
  };
  // Raw statements in one D1 batch (drizzle batches only its own builders; the FTS5 table is not one). The first
  // drops the old chunks (their FTS rows go with them, by trigger) and answers their ids, for a semantic index.
  const d1 = db.$client;
  const [dropped] = await d1.batch<{ id: number }>([
    dropChunks(d1, document.id),
    d1
      .prepare(
        `insert into knowledge_documents (id, organization_id, workspace_id, workspace_key, title, text, source_url,
           tags, external_id, bytes, chunks, created_by, created_at, updated_by, updated_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         on conflict (id) do update set title = ?5, text = ?6, source_url = ?7, tags = ?8, bytes = ?10,
           chunks = ?11, updated_by = ?14, updated_at = ?15`,
      )
      .bind(
        document.id,
        document.organizationId,
        document.workspaceId,
        workspaceKey,
        document.title,
        document.text,
        document.sourceUrl,
        JSON.stringify(document.tags),
        document.externalId,
        document.bytes,
        document.chunks,
        document.createdBy,
        document.createdAt,
        document.updatedBy,
        document.updatedAt,
      ),
    // All chunks in one statement, from one JSON parameter (D1 binds at most 100 values per statement).
    d1
      .prepare(
        `insert into knowledge_chunks (document_id, organization_id, workspace_key, seq, heading, text)
         select ?1, ?2, ?3, key, json_extract(value, '$.heading'), json_extract(value, '$.text') from json_each(?4)`,
      )
      .bind(document.id, tenant.organizationId, workspaceKey, JSON.stringify(input.chunks)),
    d1
      .prepare(
        `insert into knowledge_fts (rowid, title, heading, body)
         select id, ?1, heading, text from knowledge_chunks where document_id = ?2`,
      )
      .bind(document.title, document.id),
  ]);
  return { document, replaced: existing !== undefined, removedChunkIds: (dropped?.results ?? []).map((r) => r.id) };
}

/** A document's chunks in order (ids and text), for a semantic index to embed. */
export async function knowledgeChunksOf(
  db: Db,
  tenant: OrgTenant,
  documentId: string,
): Promise<{ id: number; workspaceKey: string; heading: string; text: string }[]> {
  return db
    .select({
      id: knowledgeChunks.id,
      workspaceKey: knowledgeChunks.workspaceKey,
      heading: knowledgeChunks.heading,
      text: knowledgeChunks.text,
    })
    .from(knowledgeChunks)
    .where(and(eq(knowledgeChunks.organizationId, tenant.organizationId), eq(knowledgeChunks.documentId, documentId)))
    .orderBy(knowledgeChunks.seq)
    .all();
}

/**
 * Chunks by id as hits (no highlight: `passage` is the chunk's start), only those of documents visible in the
 * workspace under `scope` and with a wanted tag: what a semantic index answered is checked again here, so an index
 * that returned another tenant's ids returns nothing of theirs.
 */
export async function knowledgeHitsByChunkIds(
  db: Db,
  tenant: WorkspaceTenant,
  chunkIds: readonly number[],
  filter: { scope: KnowledgeScope; tags?: readonly string[] },
): Promise<KnowledgeHit[]> {
  if (!chunkIds.length) return [];
  const rows = await db
    .select({
      chunkId: knowledgeChunks.id,
      documentId: knowledgeChunks.documentId,
      heading: knowledgeChunks.heading,
      text: knowledgeChunks.text,
      title: knowledgeDocuments.title,
      sourceUrl: knowledgeDocuments.sourceUrl,
      tags: knowledgeDocuments.tags,
    })
    .from(knowledgeChunks)
    .innerJoin(knowledgeDocuments, eq(knowledgeDocuments.id, knowledgeChunks.documentId))
    .where(
      and(
        eq(knowledgeChunks.organizationId, tenant.organizationId),
        inArray(knowledgeChunks.workspaceKey, keysOf(tenant, filter.scope)),
        inArray(knowledgeChunks.id, [...chunkIds]),
        filter.tags?.length ? hasAnyTag(filter.tags) : undefined,
      ),
    )
    .all();
  return rows.map((r) => ({
    chunkId: r.chunkId,
    documentId: r.documentId,
    title: r.title,
    sourceUrl: r.sourceUrl,
    tags: r.tags,
    heading: r.heading,
    passage: r.text.length > 300 ? `${r.text.slice(0, 300)}…` : r.text,
    score: 0,
  }));
}

/**
 * The statement that removes a document's chunks, answering their ids; the `knowledge_chunks_fts_delete` trigger
 * (migration 0012) deletes their FTS rows in the same statement.
 */
function dropChunks(d1: D1Database, documentId: string): D1PreparedStatement {
  return d1.prepare('delete from knowledge_chunks where document_id = ?1 returning id').bind(documentId);
}

/** A document visible in the workspace, or null. */
export async function getKnowledgeDocument(
  db: Db,
  tenant: WorkspaceTenant,
  id: string,
): Promise<KnowledgeDocumentRecord | null> {
  const row = await db
    .select()
    .from(knowledgeDocuments)
    .where(
      and(
        eq(knowledgeDocuments.organizationId, tenant.organizationId),
        inArray(knowledgeDocuments.workspaceKey, keysOf(tenant, 'all')),
        eq(knowledgeDocuments.id, id),
      ),
    )
    .get();
  return row ?? null;
}

/** Documents visible in the workspace, most recently updated first (without their text). */
export async function listKnowledgeDocuments(
  db: Db,
  tenant: WorkspaceTenant,
  filter: { scope: KnowledgeScope; tags?: readonly string[]; limit: number },
) {
  const { text: _text, ...columns } = knowledgeDocuments;
  return db
    .select({
      id: columns.id,
      workspaceKey: columns.workspaceKey,
      title: columns.title,
      sourceUrl: columns.sourceUrl,
      tags: columns.tags,
      externalId: columns.externalId,
      bytes: columns.bytes,
      chunks: columns.chunks,
      updatedAt: columns.updatedAt,
    })
    .from(knowledgeDocuments)
    .where(
      and(
        eq(knowledgeDocuments.organizationId, tenant.organizationId),
        inArray(knowledgeDocuments.workspaceKey, keysOf(tenant, filter.scope)),
        filter.tags?.length ? hasAnyTag(filter.tags) : undefined,
      ),
    )
    .orderBy(desc(knowledgeDocuments.updatedAt))
    .limit(filter.limit)
    .all();
}

function hasAnyTag(tags: readonly string[]) {
  return sql`exists (select 1 from json_each(${knowledgeDocuments.tags}) where value in (${sql.join(
    tags.map((t) => sql`${t}`),
    sql`, `,
  )}))`;
}

/**
 * Deletes a document visible in the workspace with its chunks and index rows; answers the chunk ids it had (for a
 * semantic index), or null when there was no such document.
 */
export async function deleteKnowledgeDocument(db: Db, tenant: WorkspaceTenant, id: string): Promise<number[] | null> {
  const doc = await getKnowledgeDocument(db, tenant, id);
  if (!doc) return null;
  const d1 = db.$client;
  const [dropped] = await d1.batch<{ id: number }>([
    dropChunks(d1, id),
    d1.prepare('delete from knowledge_documents where id = ?1').bind(id),
  ]);
  return (dropped?.results ?? []).map((r) => r.id);
}

/** One ranked passage. `passage` has the matched words between `**`; `score` is −BM25 (higher is better). */
export interface KnowledgeHit {
  chunkId: number;
  documentId: string;
  title: string;
  sourceUrl: string | null;
  tags: string[];
  heading: string;
  passage: string;
  score: number;
}

/**
 * The best passages for an FTS5 MATCH expression (knowledgeMatchQuery) among the documents visible in the workspace,
 * best first. `rank` is BM25 with the weights stored with the table (title 5, heading 2, body 1; migration 0012):
 * ordering by it lets FTS5 hand the matches over sorted, so SQLite stops after `limit` rows of the tenant's and builds
 * snippets for those only.
 */
export async function searchKnowledge(
  db: Db,
  tenant: WorkspaceTenant,
  match: string,
  filter: { scope: KnowledgeScope; tags?: readonly string[]; limit: number },
): Promise<KnowledgeHit[]> {
  const keys = keysOf(tenant, filter.scope);
  const tags = filter.tags?.length
    ? sql`and exists (select 1 from json_each(d.tags) where value in (${sql.join(
        filter.tags.map((t) => sql`${t}`),
        sql`, `,
      )}))`
    : sql``;
  const rows = await db.all<{
    chunk_id: number;
    document_id: string;
    title: string;
    source_url: string | null;
    tags: string;
    heading: string;
    passage: string;
    rank: number;
  }>(sql`select c.id as chunk_id, c.document_id, d.title, d.source_url, d.tags, c.heading,
      snippet(knowledge_fts, 2, '**', '**', '…', 32) as passage,
      rank
    from knowledge_fts
    join ${knowledgeChunks} c on c.id = knowledge_fts.rowid
    join ${knowledgeDocuments} d on d.id = c.document_id
    where knowledge_fts match ${match}
      and c.organization_id = ${tenant.organizationId}
      and c.workspace_key in (${sql.join(
        keys.map((k) => sql`${k}`),
        sql`, `,
      )})
      ${tags}
    order by rank
    limit ${filter.limit}`);
  return rows.map((r) => ({
    chunkId: r.chunk_id,
    documentId: r.document_id,
    title: r.title,
    sourceUrl: r.source_url,
    tags: JSON.parse(r.tags) as string[],
    heading: r.heading,
    passage: r.passage,
    score: -r.rank,
  }));
}
