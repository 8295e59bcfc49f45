CREATE TABLE `integration_update_approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`installation_id` text NOT NULL,
	`from_version` integer NOT NULL,
	`to_version` integer NOT NULL,
	`reasons` text NOT NULL,
	`approved_by` text NOT NULL,
	`approved_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`installation_id`) REFERENCES `installations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `integration_update_approvals_installation` ON `integration_update_approvals` (`installation_id`,`approved_at`);--> statement-breakpoint
ALTER TABLE `installations` ADD `template_version` integer;--> statement-breakpoint
-- Existing installations of organization templates run the template's current version.
UPDATE `installations` SET `template_version` = (SELECT `t`.`version` FROM `integration_templates` `t` WHERE `t`.`organization_id` = `installations`.`organization_id` AND `t`.`slug` = `installations`.`source`) WHERE `kind` = 'template';
