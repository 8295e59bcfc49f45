DROP INDEX `sessions_thread`;--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_installation_thread` ON `sessions` (`installation_id`,`thread_key`);