ALTER TABLE `webhook_events` ADD `body_sha256` text;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_body` ON `webhook_events` (`installation_id`,`body_sha256`);