CREATE TABLE `agent_run_steps` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`tool` text,
	`detail` text NOT NULL,
	`input_tokens` integer,
	`output_tokens` integer,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	PRIMARY KEY(`run_id`, `seq`),
	FOREIGN KEY (`run_id`) REFERENCES `agent_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `agent_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`session_id` text,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`scopes` text NOT NULL,
	`input` text NOT NULL,
	`events_through` integer,
	`output` text,
	`reason` text,
	`error` text,
	`steps` integer DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`trace_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `agent_runs_org_created` ON `agent_runs` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `agent_runs_session` ON `agent_runs` (`session_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `agent_runs_one_active` ON `agent_runs` (`agent_id`,`session_id`) WHERE "agent_runs"."trigger" = 'session' and "agent_runs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`scope` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`instructions` text NOT NULL,
	`model` text NOT NULL,
	`api_key` text,
	`tools` text,
	`role` text DEFAULT 'MEMBER' NOT NULL,
	`max_steps` integer DEFAULT 20 NOT NULL,
	`max_output_tokens` integer,
	`timeout_ms` integer DEFAULT 300000 NOT NULL,
	`handles` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_org_name` ON `agents` (`organization_id`,`name`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `reply` text;