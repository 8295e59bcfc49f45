CREATE TABLE `internal_message_receipts` (
	`id` text PRIMARY KEY NOT NULL,
	`direction` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `internal_message_receipts_received` ON `internal_message_receipts` (`received_at`);