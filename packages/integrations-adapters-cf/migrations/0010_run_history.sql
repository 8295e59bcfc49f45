CREATE TABLE `run_history_items` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`workspace_id` text,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`user_id` text,
	`installation_id` text,
	`provider` text,
	`tool` text,
	`session_id` text,
	`trace_id` text NOT NULL,
	`summary` text NOT NULL,
	`reason` text,
	`detail` text,
	`body_key` text,
	`body_bytes` integer DEFAULT 0 NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_history_org_started` ON `run_history_items` (`organization_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `run_history_org_trace` ON `run_history_items` (`organization_id`,`trace_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `run_history_org_session` ON `run_history_items` (`organization_id`,`session_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `run_history_org_installation` ON `run_history_items` (`organization_id`,`installation_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `run_history_org_user` ON `run_history_items` (`organization_id`,`user_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `run_history_expires` ON `run_history_items` (`expires_at`);--> statement-breakpoint
ALTER TABLE `organizations` ADD `run_history_retention_days` integer DEFAULT 30 NOT NULL;