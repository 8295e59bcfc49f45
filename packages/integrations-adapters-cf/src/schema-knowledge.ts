/** The knowledge tables of the AUTH_DB schema (schema.ts re-exports them; docs/d1-schema.md). */
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { organizations, workspaces } from './schema.js';

const createdAt = () => integer('created_at').notNull();

/**
 * Knowledge documents (docs/d1-schema.md): Local to a workspace or Global (`workspace_key` '' = the organization's,
 * found from every workspace). `text` is the whole document (plain text or Markdown, at most 1 MB); its chunks and
 * their FTS5 rows (`knowledge_fts`, created by the migration's own SQL) are rewritten with it in one batch.
 */
export const knowledgeDocuments = sqliteTable(
  'knowledge_documents',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    /** The workspace id, or '' for a Global document: the key of upserts and of every search filter. */
    workspaceKey: text('workspace_key').notNull(),
    title: text('title').notNull(),
    text: text('text').notNull(),
    sourceUrl: text('source_url'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    /** The caller's own id of the document (a file path, a wiki page id): adding it again replaces it. */
    externalId: text('external_id'),
    /** UTF-8 bytes of `text`. */
    bytes: integer('bytes').notNull(),
    chunks: integer('chunks').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedBy: text('updated_by').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('knowledge_documents_external').on(t.organizationId, t.workspaceKey, t.externalId),
    index('knowledge_documents_org_updated').on(t.organizationId, t.workspaceKey, t.updatedAt),
  ],
);

/**
 * A document's passages, split at headings and paragraphs; `id` is the rowid of its `knowledge_fts` row, which a
 * trigger deletes with the chunk (also when a workspace or organization delete cascades here).
 */
export const knowledgeChunks = sqliteTable(
  'knowledge_chunks',
  {
    // AUTOINCREMENT: a deleted chunk's id is never handed out again (a semantic index keyed by it stays unambiguous).
    id: integer('id').primaryKey({ autoIncrement: true }),
    documentId: text('document_id')
      .notNull()
      .references(() => knowledgeDocuments.id, { onDelete: 'cascade' }),
    organizationId: text('organization_id').notNull(),
    workspaceKey: text('workspace_key').notNull(),
    seq: integer('seq').notNull(),
    /** The heading path the passage is under, e.g. "Deploy › Rollback". */
    heading: text('heading').notNull(),
    text: text('text').notNull(),
  },
  (t) => [index('knowledge_chunks_document').on(t.documentId, t.seq)],
);
