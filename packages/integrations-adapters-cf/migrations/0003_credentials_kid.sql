ALTER TABLE `installations` ADD `credentials_kid` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `installations_credentials_kid` ON `installations` (`credentials_kid`);