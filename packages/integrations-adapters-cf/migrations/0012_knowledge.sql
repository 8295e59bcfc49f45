CREATE TABLE `knowledge_chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`document_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`workspace_key` text NOT NULL,
	`seq` integer NOT NULL,
	`heading` text NOT NULL,
	`text` text NOT NULL,
	FOREIGN KEY (`document_id`) REFERENCES `knowledge_documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `knowledge_chunks_document` ON `knowledge_chunks` (`document_id`,`seq`);--> statement-breakpoint
CREATE TABLE `knowledge_documents` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`workspace_id` text,
	`workspace_key` text NOT NULL,
	`title` text NOT NULL,
	`text` text NOT NULL,
	`source_url` text,
	`tags` text NOT NULL,
	`external_id` text,
	`bytes` integer NOT NULL,
	`chunks` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `knowledge_documents_external` ON `knowledge_documents` (`organization_id`,`workspace_key`,`external_id`);--> statement-breakpoint
CREATE INDEX `knowledge_documents_org_updated` ON `knowledge_documents` (`organization_id`,`workspace_key`,`updated_at`);--> statement-breakpoint
-- Full-text index of knowledge_chunks (not in drizzle's schema: a virtual table). rowid = knowledge_chunks.id; rows are
-- inserted by the repository in the batch that writes the chunks (packages/integrations-adapters-cf knowledge.ts) and
-- deleted with their chunk by the trigger below. porter stemming over unicode61 with diacritics folded
-- (https://sqlite.org/fts5.html#tokenizers).
CREATE VIRTUAL TABLE `knowledge_fts` USING fts5(title, heading, body, tokenize = 'porter unicode61 remove_diacritics 2');
--> statement-breakpoint
-- The ranking, stored with the table so `ORDER BY rank` uses it and FTS5 sorts the matches itself: BM25 with the
-- title weighted 5, the heading path 2, the body 1 (https://sqlite.org/fts5.html#sorting_by_auxiliary_function_results).
INSERT INTO `knowledge_fts` (`knowledge_fts`, `rank`) VALUES ('rank', 'bm25(5.0, 2.0, 1.0)');
--> statement-breakpoint
-- A chunk's index row goes with it, however it is deleted: a replacement, a document delete, or a workspace or
-- organization delete cascading to the chunks (SQLite fires triggers for foreign-key actions).
CREATE TRIGGER `knowledge_chunks_fts_delete` AFTER DELETE ON `knowledge_chunks` BEGIN
  DELETE FROM `knowledge_fts` WHERE rowid = old.id;
END;
