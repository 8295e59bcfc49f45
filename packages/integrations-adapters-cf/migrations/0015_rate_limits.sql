CREATE TABLE `rate_limit_buckets` (
	`key` text PRIMARY KEY NOT NULL,
	`tat` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_limit_buckets_tat` ON `rate_limit_buckets` (`tat`);--> statement-breakpoint
ALTER TABLE `installations` ADD `rate_limit` text;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `rate_limit` text;